import { afterEach, describe, expect, it, vi } from 'vitest';
import { AdminCallError } from '../../../src/shared/api/client';
import type { ApprovalRule, RegistrationToken, Settings } from '../../../src/shared/domain';
import { connectLiveUpdates, createAppStore } from '../../../src/renderer/src/stores/app-store';
import { fakeClient, host } from '../fake-client';

const rule = (n: number, over: Partial<ApprovalRule> = {}): ApprovalRule => ({
  id: `00000000-0000-4000-9000-${String(n).padStart(12, '0')}`,
  name: `rule ${n}`,
  position: n,
  enabled: true,
  match: { label: `l${n}` },
  max_count: 0,
  used_count: 0,
  created_at: '2026-01-01T00:00:00Z',
  created_by: 'admin',
  ...over,
});

const settings: Settings = {
  token_prefix: 'GATE',
  offline_threshold_seconds: 90,
  lan_port: 7443,
  lan_bind: '0.0.0.0',
  advertise_url: null,
  disable_offline_after_days: null,
};

afterEach(() => vi.useRealTimers());

describe('rules', () => {
  it('moves a rule one place by sending the whole new order, and refuses to move past either end', async () => {
    const rules = [rule(1), rule(2), rule(3)];
    const fake = fakeClient({
      'rules.list': async () => ({ rules }),
      'rules.reorder': async ({ ids }) => ({
        rules: ids.map((id, i) => ({ ...rules.find((r) => r.id === id)!, position: i + 1 })),
      }),
    });
    const store = createAppStore(fake.client);
    await store.getState().loadRules();
    expect(await store.getState().moveRule(rules[0]!.id, -1)).toBe(false);
    expect(await store.getState().moveRule(rules[0]!.id, 1)).toBe(true);
    expect(fake.calls.filter((c) => c.name === 'rules.reorder').map((c) => c.input)).toEqual([
      { ids: [rules[1]!.id, rules[0]!.id, rules[2]!.id] },
    ]);
    expect(store.getState().rules.map((r) => r.name)).toEqual(['rule 2', 'rule 1', 'rule 3']);
  });

  it('shows a toggle at once and puts it back when the server refuses', async () => {
    const fake = fakeClient({
      'rules.list': async () => ({ rules: [rule(1)] }),
      'rules.update': () =>
        new Promise((_r, reject) => setTimeout(() => reject(new AdminCallError('FORBIDDEN', 'No.')), 5)),
    });
    const store = createAppStore(fake.client);
    await store.getState().loadRules();
    const pending = store.getState().updateRule({ id: rule(1).id, enabled: false });
    expect(store.getState().rules[0]!.enabled).toBe(false);
    expect(await pending).toBeNull();
    expect(store.getState().rules[0]!.enabled).toBe(true);
    expect(store.getState().notices.at(-1)?.text).toBe('No.');
  });
});

describe('expected hosts', () => {
  it('an import returns each refused line and reloads the list with the good rows', async () => {
    const fake = fakeClient({
      'expected.import': async () => ({
        import_id: 'i',
        imported: 1,
        errors: [{ line: 3, reason: 'hostname is empty' }],
      }),
      'expected.list': async () => ({ expected_hosts: [], total_count: 1 }),
    });
    const store = createAppStore(fake.client);
    const result = await store.getState().importExpected('hostname,serial\na,1\n,2', false);
    expect(result?.errors).toEqual([{ line: 3, reason: 'hostname is empty' }]);
    expect(fake.calls.map((c) => c.name)).toEqual(['expected.import', 'expected.list']);
    // Auto-approve is only sent when asked for.
    expect(fake.calls[0]!.input).toEqual({ csv: 'hostname,serial\na,1\n,2' });
    expect(store.getState().expectedTotal).toBe(1);
  });
});

describe('live updates for rack enrolment', () => {
  it('a host alarm event raises a banner in plain words that links to the host', async () => {
    vi.useFakeTimers();
    const fake = fakeClient();
    const clone = host({ hostname: 'r12-node-07', alarm: 'clone' });
    fake.hosts.push(clone);
    const store = createAppStore(fake.client);
    const stop = connectLiveUpdates(store, fake.client, 10);
    fake.emit({ topic: 'hosts', action: 'alarm', id: clone.id });
    await vi.advanceTimersByTimeAsync(50);
    const [alarm] = store.getState().alarms;
    expect(alarm).toMatchObject({ hostId: clone.id });
    expect(alarm!.text).toMatch(/^r12-node-07: Possible clone/);
    store.getState().dismissAlarm(alarm!.key);
    expect(store.getState().alarms).toEqual([]);
    stop();
  });

  it('a token alarm says which token was replayed, from where, and links to the host that used it', async () => {
    vi.useFakeTimers();
    const token = {
      id: '22222222-2222-4222-8222-222222222222',
      prefix: 'GATE-7Y3K',
      used_by_nodes: [{ host_id: 'h1', hostname: 'once' }],
      failed_attempts: { count: 1, last_source: '10.0.0.9', last_at: null },
    } as unknown as RegistrationToken;
    const fake = fakeClient({ 'tokens.get': async () => token });
    const store = createAppStore(fake.client);
    const stop = connectLiveUpdates(store, fake.client, 10);
    fake.emit({ topic: 'tokens', action: 'alarm', id: token.id });
    await vi.advanceTimersByTimeAsync(50);
    expect(store.getState().alarms).toEqual([
      {
        key: `token:${token.id}`,
        hostId: 'h1',
        text: 'Token GATE-7Y3K… was presented again from 10.0.0.9 after its last use: it may have leaked. It enrolled once.',
      },
    ]);
    stop();
  });

  it('a resync (team server reconnected after a gap) reloads the lists, counts, tokens, settings, rules and rows', async () => {
    vi.useFakeTimers();
    const fake = fakeClient({
      'settings.get': async () => settings,
      'rules.list': async () => ({ rules: [] }),
      'expected.list': async () => ({ expected_hosts: [], total_count: 0 }),
    });
    fake.hosts.push(host(), host({ status: 'APPROVED' }));
    const store = createAppStore(fake.client);
    await Promise.all([
      store.getState().loadList('queue'),
      store.getState().loadList('table'),
      store.getState().loadRules(),
      store.getState().loadExpected(),
    ]);
    fake.calls.length = 0;
    const stop = connectLiveUpdates(store, fake.client, 10, { totalsMs: 10 });
    fake.emit({ topic: 'settings', action: 'resync' });
    await vi.advanceTimersByTimeAsync(100);
    const names = fake.calls.map((c) => c.name);
    for (const name of ['tokens.list', 'settings.get', 'hosts.counts', 'rules.list', 'expected.list'])
      expect(names).toContain(name);
    // Both lists again from their first page.
    expect(fake.callsOf('hosts.list').filter((c) => !c.ids && c.limit === 100)).toHaveLength(2);
    stop();
  });
});
