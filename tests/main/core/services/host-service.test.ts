import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiError } from '../../../../src/shared/api/errors';
import type { ParsedInput } from '../../../../src/shared/api/operations';
import type { RegisterHostInput } from '../../../../src/shared/api/schemas';
import { makeGatehouse, registration, type TestGatehouse } from '../../../helpers/gatehouse';

let g: TestGatehouse;
beforeEach(async () => {
  g = await makeGatehouse();
});
afterEach(() => g.dispose());

const token = (over: Partial<ParsedInput<'tokens.create'>> = {}) =>
  g.tokens.create({ expires_in_hours: 4, max_uses: 0, ...over }, 'admin');
const register = (text: string, over: Partial<RegisterHostInput> = {}) =>
  g.enrolment.register(registration(text, over) as RegisterHostInput, '10.0.0.7');
const list = (input: ParsedInput<'hosts.list'> = {}) => g.hosts.list(input);
const touch = (id: string, at: number) => g.store.write((tx) => tx.hosts.touchLastSeen([[id, at]]));

async function failure(call: Promise<unknown>): Promise<ApiError> {
  try {
    await call;
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

/** Every page of a list, following next_cursor to the end. */
async function walk(input: ParsedInput<'hosts.list'>): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 100; pages++) {
    const page = await list({ ...input, cursor });
    ids.push(...page.hosts.map((h) => h.id));
    if (!page.next_cursor) return ids;
    expect(page.hosts).toHaveLength(input.limit!);
    cursor = page.next_cursor;
  }
  throw new Error('paging never ended');
}

describe('listing hosts', () => {
  /** 23 hosts with repeated hostnames, registration instants and last-seen times, some never seen. */
  async function fleet(): Promise<void> {
    const t = await token({ auto_approve: true });
    const names = ['bravo', 'alpha', 'charlie', 'alpha', 'delta'];
    for (let i = 0; i < 23; i++) {
      if (i % 3 === 0) g.clock.advance(1_000); // three hosts share each registration instant
      const r = await register(t.token, { hostname: names[i % names.length] });
      if (i % 4 !== 0) await touch(r.host_id, g.clock.now() - (i % 3) * 10_000);
    }
  }

  for (const sort of [
    '-registered_at',
    'registered_at',
    'hostname',
    '-hostname',
    'last_seen_at',
    '-last_seen_at',
    'status',
  ] as const) {
    it(`pages by cursor through every host exactly once in a stable order, sorted by ${sort}`, async () => {
      await fleet();
      const whole = (await list({ sort, limit: 500 })).hosts;
      expect(whole).toHaveLength(23);
      for (const limit of [1, 4, 7]) {
        const paged = await walk({ sort, limit });
        expect(paged).toEqual(whole.map((h) => h.id));
        expect(new Set(paged).size).toBe(23);
      }
    });
  }

  it('sorts by hostname, then id, and by last_seen_at with never-seen hosts first ascending and last descending', async () => {
    await fleet();
    const byName = (await list({ sort: 'hostname', limit: 500 })).hosts;
    const keys = byName.map((h) => `${h.hostname}\u0000${h.id}`);
    expect(keys).toEqual([...keys].sort());
    const ascending = (await list({ sort: 'last_seen_at', limit: 500 })).hosts.map((h) => h.last_seen_at);
    const nulls = ascending.filter((v) => v === null).length;
    expect(nulls).toBe(6);
    expect(ascending.slice(0, nulls).every((v) => v === null)).toBe(true);
    const seen = ascending.slice(nulls) as string[];
    expect(seen).toEqual([...seen].sort());
    const descending = (await list({ sort: '-last_seen_at', limit: 500 })).hosts.map((h) => h.last_seen_at);
    expect(descending.slice(-nulls).every((v) => v === null)).toBe(true);
    const newest = (await list({})).hosts.map((h) => h.registered_at);
    expect(newest).toEqual([...newest].sort().reverse());
  });

  it('pages past a host deleted between pages without repeating or skipping the others', async () => {
    await fleet();
    const first = await list({ sort: 'hostname', limit: 5 });
    await g.hosts.delete(first.hosts[4]!.id, 'admin');
    const rest = await walk({ sort: 'hostname', limit: 5, cursor: first.next_cursor! });
    const all = [...first.hosts.map((h) => h.id), ...rest];
    expect(new Set(all).size).toBe(23);
  });

  it('answers total_count for the filter, not the page', async () => {
    await fleet();
    const page = await list({ limit: 5 });
    expect(page.hosts).toHaveLength(5);
    expect(page.total_count).toBe(23);
    expect(page.next_cursor).not.toBeNull();
  });

  it('refuses a cursor it did not give out, naming cursor', async () => {
    const wrongShape = Buffer.from('{"a":1}').toString('base64url');
    const wrongTypes = Buffer.from('[{"x":1},7]').toString('base64url');
    for (const cursor of ['not-a-cursor', wrongShape, wrongTypes]) {
      const error = await failure(list({ cursor }));
      expect(error.code).toBe('VALIDATION_FAILED');
      expect(error.message).toMatch(/cursor/);
      expect(error.details).toEqual([expect.objectContaining({ path: 'cursor' })]);
    }
  });

  it('matches every word of q (AND), in hostname and labels, ignoring case', async () => {
    const t = await token();
    // Machine ids without hex, so no random id happens to contain a search word.
    const web01 = await register(t.token, { hostname: 'web-01', labels: ['rack=b12'], machine_id: 'machine-one-1' });
    const web02 = await register(t.token, { hostname: 'web-02', labels: ['rack=c01'], machine_id: 'machine-two-2' });
    await register(t.token, { hostname: 'db-01', labels: ['rack=b12'], machine_id: 'machine-three-3' });
    expect((await list({ q: 'web rack=b12' })).hosts.map((h) => h.id)).toEqual([web01.host_id]);
    expect((await list({ q: 'WEB' })).hosts.map((h) => h.id).sort()).toEqual([web01.host_id, web02.host_id].sort());
    expect((await list({ q: 'rack=b12' })).total_count).toBe(2);
    expect((await list({ q: 'web db' })).total_count).toBe(0);
  });

  it('takes q literally: % and _ are not wildcards', async () => {
    const t = await token();
    await register(t.token, { hostname: 'web-01' });
    expect((await list({ q: '%' })).total_count).toBe(0);
    expect((await list({ q: 'web_01' })).total_count).toBe(0);
  });

  it('searches machine id, serial and MAC addresses', async () => {
    const t = await token();
    const r = await register(t.token, {
      machine_id: 'machine-findme-0001',
      facts: { serial: 'SN-ABC123', macs: ['AA:BB:CC:00:11:22'] },
    });
    await register(t.token);
    for (const q of ['findme', 'sn-abc123', 'aa:bb:cc:00:11:22']) {
      expect((await list({ q })).hosts.map((h) => h.id)).toEqual([r.host_id]);
    }
  });

  it('filters by status, token, label and ids', async () => {
    const a = await token({ labels: ['env=lab'] });
    const b = await token();
    const one = await register(a.token);
    const two = await register(a.token);
    const three = await register(b.token, { labels: ['gpu'] });
    await g.hosts.decide(one.host_id, 'approve', 'admin');
    await g.hosts.decide(three.host_id, 'reject', 'admin');
    const ids = async (input: ParsedInput<'hosts.list'>) => (await list(input)).hosts.map((h) => h.id).sort();
    expect(await ids({ status: 'APPROVED' })).toEqual([one.host_id]);
    expect(await ids({ status: 'PENDING' })).toEqual([two.host_id]);
    expect(await ids({ status: 'REJECTED' })).toEqual([three.host_id]);
    expect(await ids({ token_id: a.id })).toEqual([one.host_id, two.host_id].sort());
    expect(await ids({ label: 'env=lab' })).toEqual([one.host_id, two.host_id].sort());
    expect(await ids({ label: 'gpu' })).toEqual([three.host_id]);
    expect(await ids({ ids: [one.host_id, three.host_id] })).toEqual([one.host_id, three.host_id].sort());
    expect(await ids({ status: 'PENDING', token_id: b.id })).toEqual([]);
  });

  it('filters by connectivity: ONLINE, OFFLINE past the threshold, NEVER', async () => {
    const t = await token({ auto_approve: true });
    const online = await register(t.token);
    const offline = await register(t.token);
    const never = await register(t.token);
    await touch(offline.host_id, g.clock.now());
    g.clock.advance(120_000);
    await touch(online.host_id, g.clock.now());
    const ids = async (connectivity: 'ONLINE' | 'OFFLINE' | 'NEVER') =>
      (await list({ connectivity })).hosts.map((h) => h.id);
    expect(await ids('ONLINE')).toEqual([online.host_id]);
    expect(await ids('OFFLINE')).toEqual([offline.host_id]);
    expect(await ids('NEVER')).toEqual([never.host_id]);
    expect((await list({ connectivity: 'ONLINE' })).hosts[0]!.connectivity).toBe('ONLINE');
  });
});

describe('counting hosts', () => {
  it('counts by status, and approved hosts by connectivity', async () => {
    const auto = await token({ auto_approve: true });
    const plain = await token();
    const online = await register(auto.token);
    const offline = await register(auto.token);
    await register(auto.token);
    const disabled = await register(auto.token);
    await register(plain.token);
    const rejected = await register(plain.token);
    await g.hosts.decide(disabled.host_id, 'disable', 'admin');
    await g.hosts.decide(rejected.host_id, 'reject', 'admin');
    await touch(offline.host_id, g.clock.now());
    g.clock.advance(600_000);
    await touch(online.host_id, g.clock.now());
    expect(await g.hosts.counts()).toEqual({
      by_status: { PENDING: 1, APPROVED: 3, REJECTED: 1, DISABLED: 1 },
      by_connectivity: { ONLINE: 1, OFFLINE: 1, NEVER: 1 },
      total: 6,
    });
    expect(await g.hosts.pendingCount()).toBe(1);
  });

  it('leaves out hosts retired by a re-enrolment', async () => {
    const t = await token({ auto_approve: true });
    await register(t.token, { machine_id: 'machine-counted-01' });
    const again = await register(t.token, { machine_id: 'machine-counted-01' });
    await g.hosts.decide(again.host_id, 'approve', 'admin');
    expect((await g.hosts.counts()).total).toBe(1);
  });
});

describe('bulk decisions', () => {
  it('approves exactly the pending hosts of one token when given a filter', async () => {
    const a = await token();
    const b = await token();
    const fromA = [await register(a.token), await register(a.token), await register(a.token)];
    const fromB = await register(b.token);
    const rejectedA = await register(a.token);
    await g.hosts.decide(rejectedA.host_id, 'reject', 'admin');
    const { results } = await g.hosts.bulk(
      { action: 'approve', filter: { status: 'PENDING', token_id: a.id } },
      'admin',
    );
    expect(results.map((r) => r.id).sort()).toEqual(fromA.map((r) => r.host_id).sort());
    expect(results.every((r) => r.ok && r.status === 'APPROVED')).toBe(true);
    expect((await g.hosts.get(fromB.host_id)).status).toBe('PENDING');
    expect((await g.hosts.get(rejectedA.host_id)).status).toBe('REJECTED');
  });

  it('answers one batch_id, and every audit entry of the batch carries it', async () => {
    const t = await token();
    const ids = (await Promise.all(Array.from({ length: 12 }, () => register(t.token)))).map((r) => r.host_id);
    await g.hosts.decide(ids[0]!, 'approve', 'admin');
    const { batch_id, results } = await g.hosts.bulk({ action: 'reject', ids, reason: 'wrong site' }, 'alice');
    expect(batch_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(results.filter((r) => r.ok)).toHaveLength(12);
    const entries = (await g.audit.list({ actor: 'alice', limit: 1000 })).entries;
    expect(entries).toHaveLength(12);
    for (const e of entries)
      expect(e).toMatchObject({ action: 'host.rejected', batch_id, detail: { reason: 'wrong site' } });
    expect(entries.map((e) => e.target_id).sort()).toEqual([...ids].sort());
    const other = await g.hosts.bulk({ action: 'approve', ids: ids.slice(0, 2) }, 'bob');
    expect(other.batch_id).not.toBe(batch_id);
  });

  it('deletes in bulk, with a result per id and NOT_FOUND for unknown ones', async () => {
    const t = await token();
    const ids = (await Promise.all(Array.from({ length: 3 }, () => register(t.token)))).map((r) => r.host_id);
    const unknown = '00000000-0000-4000-8000-000000000000';
    const { results } = await g.hosts.bulk({ action: 'delete', ids: [...ids, unknown] }, 'admin');
    expect(results.map((r) => r.ok)).toEqual([true, true, true, false]);
    expect(results[3]).toMatchObject({ error: { code: 'NOT_FOUND' } });
    expect((await list({})).total_count).toBe(0);
  });

  it('reports refused transitions per host and applies the rest', async () => {
    const t = await token();
    const a = await register(t.token);
    const b = await register(t.token);
    await g.hosts.decide(a.host_id, 'approve', 'admin');
    const { results } = await g.hosts.bulk({ action: 'disable', ids: [a.host_id, b.host_id] }, 'admin');
    expect(results).toEqual([
      { id: a.host_id, ok: true, status: 'DISABLED' },
      { id: b.host_id, ok: false, error: { code: 'CONFLICT', message: expect.stringMatching(/pending/) } },
    ]);
  });

  it('decides 5,000 hosts in one batch', async () => {
    const t = await token();
    const registered = await Promise.all(Array.from({ length: 5_000 }, () => register(t.token)));
    const batches: number[] = [];
    g.store.onBatch((s) => batches.push(s.units));
    const started = performance.now();
    const { results } = await g.hosts.bulk({ action: 'approve', ids: registered.map((r) => r.host_id) }, 'admin');
    console.log(`bulk approve of 5,000 hosts: ${(performance.now() - started).toFixed(0)} ms`);
    expect(batches).toEqual([1]);
    expect(results.filter((r) => r.ok)).toHaveLength(5_000);
    expect((await g.hosts.counts()).by_status.APPROVED).toBe(5_000);
  });
});

describe('single decisions', () => {
  it('answers NOT_FOUND for an unknown host', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    expect((await failure(g.hosts.get(unknown))).code).toBe('NOT_FOUND');
    expect((await failure(g.hosts.decide(unknown, 'approve', 'admin'))).code).toBe('NOT_FOUND');
    expect((await failure(g.hosts.delete(unknown, 'admin'))).code).toBe('NOT_FOUND');
  });

  it('refuses to change a host retired by a re-enrolment', async () => {
    const t = await token({ auto_approve: true });
    const old = await register(t.token, { machine_id: 'machine-retired-01' });
    const again = await register(t.token, { machine_id: 'machine-retired-01' });
    await g.hosts.decide(again.host_id, 'approve', 'admin');
    expect((await failure(g.hosts.decide(old.host_id, 'disable', 'admin'))).code).toBe('CONFLICT');
  });

  it('announces a decision on the bus after it commits', async () => {
    const r = await register((await token()).token);
    const seen: string[] = [];
    g.events.subscribe((e) => {
      if (e.topic === 'hosts') seen.push(`${e.action}:${e.id ?? e.ids?.join(',')}`);
    });
    await g.hosts.decide(r.host_id, 'approve', 'admin');
    // The decision, and the store's note that this host's credential standing changed.
    expect(seen).toEqual([`approve:${r.host_id}`, `credentials_changed:${r.host_id}`]);
  });
});
