import { describe, expect, it, vi } from 'vitest';
import { AdminCallError } from '../../../src/shared/api/client';
import { connectLiveUpdates, createAppStore } from '../../../src/renderer/src/stores/app-store';
import { createClockStore } from '../../../src/renderer/src/stores/clock-store';
import { fakeClient, host } from '../fake-client';

describe('hosts slice', () => {
  it('loads hosts and marks pending hosts that arrive later as unseen', async () => {
    const fake = fakeClient();
    const store = createAppStore(fake.client);
    fake.hosts.push(host({ id: 'a' }));
    await store.getState().loadHosts();
    expect(store.getState().unseenHostIds).toEqual([]);
    fake.hosts.push(host({ id: 'b' }), host({ id: 'c', status: 'APPROVED' }));
    await store.getState().loadHosts();
    expect(store.getState().unseenHostIds).toEqual(['b']);
    store.getState().markHostsSeen();
    expect(store.getState().unseenHostIds).toEqual([]);
  });

  it('replaces a host after a decision and drops it from the selection', async () => {
    const fake = fakeClient({ 'hosts.approve': async ({ id }) => host({ id, status: 'APPROVED', hostname: 'n1' }) });
    const store = createAppStore(fake.client);
    fake.hosts.push(host({ id: 'a' }));
    await store.getState().loadHosts();
    store.getState().toggleSelected('a');
    expect(await store.getState().decide('a', 'approve')).toBe(true);
    expect(store.getState().hosts[0]!.status).toBe('APPROVED');
    expect(store.getState().selectedIds).toEqual([]);
    expect(store.getState().notices.at(-1)!.text).toBe('n1 approved.');
  });

  it('shows the contract message when a call fails', async () => {
    const fake = fakeClient({
      'hosts.disable': async () => {
        throw new AdminCallError('CONFLICT', 'node-1 is pending; it cannot be disabled from there.');
      },
    });
    const store = createAppStore(fake.client);
    expect(await store.getState().decide('x', 'disable')).toBe(false);
    expect(store.getState().notices.at(-1)).toMatchObject({
      kind: 'error',
      text: 'node-1 is pending; it cannot be disabled from there.',
    });
  });

  it('bulk decisions send every id once and report failures per id', async () => {
    const fake = fakeClient({
      'hosts.bulk': async ({ ids }) => ({
        results: ids.map((id, i) =>
          i === 0
            ? { id, ok: false, error: { code: 'NOT_FOUND', message: 'gone' } }
            : { id, ok: true, status: 'APPROVED' as const },
        ),
      }),
    });
    const store = createAppStore(fake.client);
    store.getState().setSelected(['a', 'b', 'c']);
    expect(await store.getState().bulkDecide('approve', ['a', 'b', 'c'])).toBe(false);
    expect(fake.calls.find((c) => c.name === 'hosts.bulk')!.input).toEqual({ action: 'approve', ids: ['a', 'b', 'c'] });
    expect(store.getState().selectedIds).toEqual([]);
    expect(store.getState().notices.at(-1)!.text).toBe('2 hosts approved; 1 could not be: gone');
  });
});

describe('tokens slice', () => {
  it('asks for expired tokens only when the switch is on', async () => {
    const fake = fakeClient();
    const store = createAppStore(fake.client);
    await store.getState().loadTokens();
    await store.getState().setIncludeExpired(true);
    expect(fake.calls.filter((c) => c.name === 'tokens.list').map((c) => c.input)).toEqual([
      { include_expired: false },
      { include_expired: true },
    ]);
  });
});

describe('live updates', () => {
  it('coalesces a burst of events into one reload per collection', async () => {
    vi.useFakeTimers();
    const fake = fakeClient();
    const store = createAppStore(fake.client);
    const stop = connectLiveUpdates(store, fake.client, 100);
    for (let i = 0; i < 50; i++) fake.emit({ topic: 'hosts', action: 'registered' });
    fake.emit({ topic: 'tokens', action: 'used' });
    await vi.advanceTimersByTimeAsync(150);
    expect(fake.calls.filter((c) => c.name === 'hosts.list')).toHaveLength(1);
    expect(fake.calls.filter((c) => c.name === 'tokens.list')).toHaveLength(1);
    stop();
    vi.useRealTimers();
  });
});

describe('the shared clock', () => {
  it('ticks once a second from one timer while anything uses it, and stops when released', async () => {
    vi.useFakeTimers({ now: 10_000 });
    const clock = createClockStore();
    const release1 = clock.retain();
    const release2 = clock.retain();
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(3010);
    expect(clock.store.getState().now).toBeGreaterThanOrEqual(13_000);
    release1();
    expect(vi.getTimerCount()).toBe(1);
    release2();
    expect(vi.getTimerCount()).toBe(0);
    vi.useRealTimers();
  });
});

describe('losing the event stream', () => {
  it('shows the loss, and refetches everything once the stream is back', async () => {
    vi.useFakeTimers();
    const fake = fakeClient();
    let report: (state: 'live' | 'lost') => void = () => {};
    fake.client.subscribe = (_listener, onConnection) => {
      report = onConnection!;
      return () => {};
    };
    const store = createAppStore(fake.client);
    connectLiveUpdates(store, fake.client, 10);
    report('live');
    expect(store.getState().connection).toBe('live');
    await vi.advanceTimersByTimeAsync(50);
    expect(fake.calls).toHaveLength(0);
    report('lost');
    expect(store.getState().connection).toBe('lost');
    report('live');
    await vi.advanceTimersByTimeAsync(50);
    expect(fake.calls.map((c) => c.name).sort()).toEqual(['hosts.list', 'settings.get', 'tokens.list']);
    vi.useRealTimers();
  });
});
