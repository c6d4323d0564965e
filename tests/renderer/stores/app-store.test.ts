import { describe, expect, it, vi } from 'vitest';
import { AdminCallError } from '../../../src/shared/api/client';
import { connectLiveUpdates, createAppStore } from '../../../src/renderer/src/stores/app-store';
import { createClockStore } from '../../../src/renderer/src/stores/clock-store';
import { PAGE_SIZE } from '../../../src/renderer/src/stores/hosts-slice';
import { fakeClient, host } from '../fake-client';

const TOKEN_A = '11111111-1111-4111-8111-111111111111';

async function loaded(fake: ReturnType<typeof fakeClient>) {
  const store = createAppStore(fake.client);
  await Promise.all([store.getState().loadList('queue'), store.getState().loadList('table')]);
  fake.calls.length = 0;
  return store;
}

describe('hosts slice: paging', () => {
  it('loads one page of the table, then the next by cursor as the user scrolls, and stops at the end', async () => {
    const fake = fakeClient();
    for (let i = 0; i < 250; i++) fake.hosts.push(host({ status: 'APPROVED' }));
    const store = createAppStore(fake.client);
    await store.getState().loadList('table');
    expect(store.getState().lists.table.ids).toHaveLength(PAGE_SIZE);
    expect(store.getState().lists.table.total).toBe(250);
    await store.getState().loadMore('table');
    await store.getState().loadMore('table');
    expect(store.getState().lists.table.ids).toHaveLength(250);
    expect(new Set(store.getState().lists.table.ids).size).toBe(250);
    await store.getState().loadMore('table');
    expect(fake.callsOf('hosts.list').map((c) => c.cursor)).toEqual([undefined, '100', '200']);
  });

  it('asks the server to filter, search and sort, and drops an answer for a query the user already changed', async () => {
    const fake = fakeClient();
    fake.hosts.push(host({ hostname: 'alpha', status: 'APPROVED' }), host({ hostname: 'beta', status: 'APPROVED' }));
    const store = createAppStore(fake.client);
    const first = store.getState().setQuery('table', { q: 'alp', sort: 'hostname' });
    const second = store.getState().setQuery('table', { q: 'bet' });
    await Promise.all([first, second]);
    expect(fake.callsOf('hosts.list').at(-1)).toMatchObject({ q: 'bet', sort: 'hostname', limit: PAGE_SIZE });
    const { ids } = store.getState().lists.table;
    expect(ids.map((id) => store.getState().hostsById[id]!.hostname)).toEqual(['beta']);
  });
});

describe('hosts slice: patching rows from events', () => {
  it('a registration fetches just that host, places it in the queue in order and marks it new', async () => {
    const fake = fakeClient();
    fake.hosts.push(host(), host());
    const store = await loaded(fake);
    const fresh = host();
    fake.hosts.push(fresh);
    await store.getState().refreshHosts([fresh.id], { arrived: true });
    expect(fake.callsOf('hosts.list')).toEqual([{ ids: [fresh.id], limit: 1 }]);
    expect(store.getState().lists.queue.ids.at(-1)).toBe(fresh.id);
    expect(store.getState().lists.queue.total).toBe(3);
    expect(store.getState().lists.table.ids[0]).toBe(fresh.id);
    expect(store.getState().unseenHostIds).toEqual([fresh.id]);
  });

  it('an approval moves the host out of the queue and changes its row in the table', async () => {
    const fake = fakeClient();
    const a = host();
    fake.hosts.push(a, host());
    const store = await loaded(fake);
    store.getState().toggleSelected('queue', a.id);
    fake.hosts[0] = { ...a, status: 'APPROVED' };
    await store.getState().refreshHosts([a.id]);
    expect(store.getState().lists.queue.ids).not.toContain(a.id);
    expect(store.getState().lists.queue.total).toBe(1);
    expect(store.getState().hostsById[a.id]!.status).toBe('APPROVED');
    expect(store.getState().lists.table.ids).toContain(a.id);
    expect(store.getState().selection.queue.ids).toEqual([]);
  });

  it('a host the server no longer returns (deleted, retired) leaves every list', async () => {
    const fake = fakeClient();
    const a = host();
    fake.hosts.push(a, host());
    const store = await loaded(fake);
    fake.hosts.splice(0, 1);
    await store.getState().refreshHosts([a.id]);
    expect(store.getState().hostsById[a.id]).toBeUndefined();
    expect(store.getState().lists.queue.ids).not.toContain(a.id);
    expect(store.getState().lists.table.ids).not.toContain(a.id);
  });

  it('does not insert a changed host that sorts past the loaded window (paging brings it later)', async () => {
    const fake = fakeClient();
    for (let i = 0; i < 150; i++) fake.hosts.push(host({ status: 'APPROVED' }));
    const store = createAppStore(fake.client);
    await store.getState().setQuery('table', { sort: 'registered_at' });
    const last = fake.hosts[149]!;
    fake.hosts[149] = { ...last, labels: ['rack=b12'] };
    await store.getState().refreshHosts([last.id]);
    expect(store.getState().lists.table.ids).toHaveLength(PAGE_SIZE);
    expect(store.getState().lists.table.ids).not.toContain(last.id);
  });

  it('heartbeats mark the loaded rows online without fetching anything', async () => {
    const fake = fakeClient();
    const a = host({ status: 'APPROVED', connectivity: 'OFFLINE', last_seen_at: '2026-01-01T00:00:00.000Z' });
    fake.hosts.push(a);
    const store = await loaded(fake);
    store.getState().markSeen([a.id, 'not-loaded'], '2026-02-01T00:00:00.000Z');
    expect(store.getState().hostsById[a.id]).toMatchObject({
      connectivity: 'ONLINE',
      last_seen_at: '2026-02-01T00:00:00.000Z',
    });
    expect(fake.calls).toEqual([]);
  });

  it('an offline filter drops a host the moment its heartbeat arrives', async () => {
    const fake = fakeClient();
    const a = host({ status: 'APPROVED', connectivity: 'OFFLINE' });
    fake.hosts.push(a, host({ status: 'APPROVED', connectivity: 'OFFLINE' }));
    const store = createAppStore(fake.client);
    await store.getState().setQuery('table', { status: 'APPROVED', connectivity: 'OFFLINE' });
    store.getState().markSeen([a.id]);
    expect(store.getState().lists.table.ids).not.toContain(a.id);
    expect(store.getState().lists.table.total).toBe(1);
  });
});

describe('hosts slice: selection', () => {
  it('shift-click selects the range from the last clicked row, and shift-click again on a ticked row clears it', async () => {
    const fake = fakeClient();
    const rows = Array.from({ length: 6 }, () => host());
    fake.hosts.push(...rows);
    const store = await loaded(fake);
    const ids = store.getState().lists.queue.ids;
    store.getState().toggleSelected('queue', ids[1]!);
    store.getState().toggleSelected('queue', ids[4]!, { range: true });
    expect(store.getState().selection.queue.ids.sort()).toEqual(ids.slice(1, 5).sort());
    store.getState().toggleSelected('queue', ids[2]!, { range: true });
    expect(store.getState().selection.queue.ids.sort()).toEqual([ids[1]!].sort());
  });

  it('"select all matching" counts every matching host and acts through the bulk filter', async () => {
    const fake = fakeClient({
      'hosts.bulk': async () => ({ batch_id: 'b', results: [] }),
    });
    for (let i = 0; i < 130; i++) fake.hosts.push(host({ token_id: TOKEN_A }));
    const store = await loaded(fake);
    await store.getState().setQuery('queue', { token_id: TOKEN_A });
    store.getState().selectAllMatching('queue', true);
    expect(store.getState().selectionCount('queue')).toBe(130);
    await store.getState().bulkSelected('queue', 'approve');
    expect(fake.calls.find((c) => c.name === 'hosts.bulk')!.input).toEqual({
      action: 'approve',
      filter: { status: 'PENDING', token_id: TOKEN_A },
    });
  });

  it('with a search the bulk filter cannot express, collects the matching ids page by page', async () => {
    const fake = fakeClient({
      'hosts.bulk': async ({ ids }) => ({ batch_id: 'b', results: (ids ?? []).map((id) => ({ id, ok: true })) }),
    });
    for (let i = 0; i < 3; i++) fake.hosts.push(host({ status: 'APPROVED', labels: ['rack=b12'] }));
    fake.hosts.push(host({ status: 'APPROVED' }));
    const store = await loaded(fake);
    await store.getState().setQuery('table', { label: 'rack=b12' });
    store.getState().selectAllMatching('table', true);
    await store.getState().bulkSelected('table', 'disable');
    const sent = fake.calls.find((c) => c.name === 'hosts.bulk')!.input as { ids: string[] };
    expect(sent.ids).toHaveLength(3);
  });

  it('bulk decisions send every id once and report failures per id', async () => {
    const fake = fakeClient({
      'hosts.bulk': async ({ ids }) => ({
        batch_id: 'b',
        results: (ids ?? []).map((id, i) =>
          i === 0
            ? { id, ok: false, error: { code: 'NOT_FOUND', message: 'gone' } }
            : { id, ok: true, status: 'APPROVED' as const },
        ),
      }),
    });
    const store = createAppStore(fake.client);
    const ids = ['a', 'b', 'c'];
    store.getState().setSelected('queue', ids);
    expect(await store.getState().bulkSelected('queue', 'approve')).toBe(false);
    expect(fake.calls.find((c) => c.name === 'hosts.bulk')!.input).toEqual({ action: 'approve', ids });
    expect(store.getState().selection.queue.ids).toEqual([]);
    expect(store.getState().notices.at(-1)!.text).toBe('2 hosts approved; 1 could not be: gone');
  });
});

describe('errors and signing out', () => {
  it('shows the server’s sentence when a call fails', async () => {
    const fake = fakeClient({
      'hosts.disable': async () => {
        throw new AdminCallError('CONFLICT', 'node-1 is pending; it cannot be disabled from there.');
      },
    });
    const store = createAppStore(fake.client);
    expect(await store.getState().decide('x', 'disable')).toBeNull();
    expect(store.getState().notices.at(-1)).toMatchObject({
      kind: 'error',
      text: 'node-1 is pending; it cannot be disabled from there.',
    });
  });

  it('a 401 marks the app signed out instead of stacking error notices', async () => {
    const fake = fakeClient({
      'hosts.counts': async () => {
        throw new AdminCallError('UNAUTHORIZED', 'Signed out.', 401);
      },
    });
    const store = createAppStore(fake.client);
    await store.getState().loadCounts();
    expect(store.getState().signedOut).toBe(true);
    expect(store.getState().notices).toEqual([]);
  });
});

describe('tokens slice', () => {
  it('asks for expired tokens only when the switch is on', async () => {
    const fake = fakeClient();
    const store = createAppStore(fake.client);
    await store.getState().loadTokens();
    await store.getState().setIncludeExpired(true);
    expect(fake.callsOf('tokens.list')).toEqual([{ include_expired: false }, { include_expired: true }]);
  });
});

describe('audit slice', () => {
  it('sends the search fields to the server and leaves out empty ones', async () => {
    const fake = fakeClient({ 'audit.list': async () => ({ entries: [], next_cursor: null }) });
    const store = createAppStore(fake.client);
    await store.getState().setAuditFilter({ target_id: 'h1', actor: '', from: '2026-01-01T00:00:00.000Z' });
    expect(fake.calls.at(-1)!.input).toEqual({ target_id: 'h1', from: '2026-01-01T00:00:00.000Z', limit: 200 });
  });
});

describe('live updates', () => {
  it('coalesces a burst of registrations into one fetch of just those hosts, and no list reload', async () => {
    vi.useFakeTimers();
    const fake = fakeClient();
    fake.hosts.push(host());
    const store = await loaded(fake);
    const stop = connectLiveUpdates(store, fake.client, 100);
    const burst = Array.from({ length: 50 }, () => host());
    fake.hosts.push(...burst);
    for (const h of burst) fake.emit({ topic: 'hosts', action: 'registered', ids: [h.id] });
    fake.emit({ topic: 'tokens', action: 'used' });
    await vi.advanceTimersByTimeAsync(150);
    const lists = fake.callsOf('hosts.list');
    expect(lists).toHaveLength(1);
    expect(lists[0]!.ids).toHaveLength(50);
    expect(store.getState().lists.queue.ids).toHaveLength(51);
    expect(fake.callsOf('tokens.list')).toHaveLength(1);
    stop();
    vi.useRealTimers();
  });

  it('a heartbeat flush with ids fetches nothing but the counts; one with only a count refetches the rows on screen', async () => {
    vi.useFakeTimers();
    const fake = fakeClient();
    const rows = Array.from({ length: 5 }, () => host({ status: 'APPROVED' }));
    fake.hosts.push(...rows);
    const store = await loaded(fake);
    const stop = connectLiveUpdates(store, fake.client, 10, { totalsMs: 50, windowMs: 50 });
    fake.emit({ topic: 'hosts', action: 'heartbeats', ids: [rows[0]!.id] });
    await vi.advanceTimersByTimeAsync(100);
    expect(store.getState().hostsById[rows[0]!.id]!.connectivity).toBe('ONLINE');
    expect(fake.calls.map((c) => c.name)).toEqual(['hosts.counts', 'hosts.list', 'hosts.list']);
    expect(fake.callsOf('hosts.list').every((c) => c.limit === 1 && !c.ids)).toBe(true);
    fake.calls.length = 0;
    store.getState().setVisible('table', [rows[1]!.id, rows[2]!.id]);
    for (let i = 0; i < 10; i++) fake.emit({ topic: 'hosts', action: 'heartbeats', count: 5000 });
    await vi.advanceTimersByTimeAsync(100);
    const byIds = fake.callsOf('hosts.list').filter((c) => c.ids);
    expect(byIds).toEqual([{ ids: [rows[1]!.id, rows[2]!.id], limit: 2 }]);
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
  it('shows the loss, and fetches the lists, tokens and settings again once the stream is back', async () => {
    vi.useFakeTimers();
    const fake = fakeClient({ 'settings.get': async () => ({}) as never });
    let report: (state: 'live' | 'lost') => void = () => {};
    fake.client.subscribe = (_listener, onConnection) => {
      report = onConnection!;
      return () => {};
    };
    const store = await loaded(fake);
    connectLiveUpdates(store, fake.client, 10);
    report('live');
    expect(store.getState().connection).toBe('live');
    await vi.advanceTimersByTimeAsync(50);
    expect(fake.calls).toHaveLength(0);
    report('lost');
    expect(store.getState().connection).toBe('lost');
    report('live');
    await vi.advanceTimersByTimeAsync(2000);
    expect([...new Set(fake.calls.map((c) => c.name))].sort()).toEqual([
      'hosts.counts',
      'hosts.list',
      'settings.get',
      'tokens.list',
    ]);
    vi.useRealTimers();
  });
});
