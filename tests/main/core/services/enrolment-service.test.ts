import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../../../src/shared/api/errors';
import type { ParsedInput } from '../../../../src/shared/api/operations';
import type { HostFacts, RegisterHostInput } from '../../../../src/shared/api/schemas';
import { createGatehouse } from '../../../../src/main/core/gatehouse';
import { makeGatehouse, registration, type TestGatehouse } from '../../../helpers/gatehouse';

const HOUR = 3_600_000;
let g: TestGatehouse;
beforeEach(async () => {
  g = await makeGatehouse();
});
afterEach(() => g.dispose());

const token = (over: Partial<ParsedInput<'tokens.create'>> = {}) =>
  g.tokens.create({ expires_in_hours: 4, max_uses: 0, ...over }, 'admin');
const body = (text: string, over: Partial<RegisterHostInput> = {}) => registration(text, over) as RegisterHostInput;
const register = (text: string, over: Partial<RegisterHostInput> = {}, source = '10.0.0.7', key?: string) =>
  g.enrolment.register(body(text, over), source, key);
const beat = async (credential: string) => g.enrolment.heartbeat(await g.enrolment.authenticate(credential));
const stored = async (id: string) => (await g.store.read((r) => r.hosts.findById(id)))!;

async function refusal(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (error) {
    if (error instanceof ApiError) return error.code;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('registration', () => {
  it('creates a PENDING host with a 256-bit credential and a six-digit verification code', async () => {
    const t = await token();
    const r = await register(t.token, { hostname: 'db-01', ips: ['10.0.0.7'] });
    expect(r.status).toBe('PENDING');
    expect(r.verification_code).toMatch(/^\d{6}$/);
    expect(Buffer.from(r.host_token.slice(4), 'base64url')).toHaveLength(32);
    expect(await g.hosts.get(r.host_id)).toMatchObject({
      hostname: 'db-01',
      status: 'PENDING',
      connectivity: 'NEVER',
      remote_addr: '10.0.0.7',
      ips: ['10.0.0.7'],
      token_id: t.id,
      token_prefix: t.prefix,
      verification_code: r.verification_code,
      conflict: false,
      replaces: null,
    });
  });

  it('merges the token labels with the host labels, once each', async () => {
    const t = await token({ labels: ['rack=b12', 'env=lab'] });
    const r = await register(t.token, { labels: ['gpu', 'env=lab'] });
    expect((await g.hosts.get(r.host_id)).labels).toEqual(['rack=b12', 'env=lab', 'gpu']);
  });

  it('auto-approves through an auto_approve token', async () => {
    const r = await register((await token({ auto_approve: true })).token);
    expect(r.status).toBe('APPROVED');
    expect((await g.hosts.get(r.host_id)).decided_by).toMatch(/^token:GATE-/);
  });

  it('keeps last_used_at and used_by_nodes', async () => {
    const t = await token();
    g.clock.advance(60_000);
    const r = await register(t.token, { hostname: 'web-7' });
    const after = await g.tokens.get(t.id);
    expect(after.last_used_at).toBe(new Date(g.clock.now()).toISOString());
    expect(after.used_by_nodes).toEqual([{ host_id: r.host_id, hostname: 'web-7' }]);
  });

  it('refuses sources outside allowed_cidrs and counts the refusal on the token', async () => {
    const t = await token({ allowed_cidrs: ['10.1.0.0/16', 'fd00::/8'] });
    expect((await register(t.token, {}, '10.1.2.3')).status).toBe('PENDING');
    expect((await register(t.token, {}, '::ffff:10.1.2.4')).status).toBe('PENDING');
    expect((await register(t.token, {}, 'fd00::5')).status).toBe('PENDING');
    expect(await refusal(register(t.token, {}, '10.2.0.1'))).toBe('TOKEN_SOURCE_DENIED');
    expect(await g.tokens.get(t.id)).toMatchObject({
      use_count: 3,
      failed_attempts: { count: 1, last_source: '10.2.0.1' },
    });
  });

  it('stores the hardware facts a host reports, and hosts.get answers them', async () => {
    const facts: HostFacts = {
      vendor: 'Supermicro',
      model: 'SYS-1029P',
      serial: 'S123456X',
      system_uuid: '4c4c4544-0042-3510-8056-b7c04f563232',
      macs: ['aa:bb:cc:dd:ee:01', 'aa:bb:cc:dd:ee:02'],
      cpus: 64,
      memory_mb: 262_144,
      disks: [{ name: 'nvme0n1', size_gb: 1920 }],
      firmware: 'uefi',
    };
    const r = await register((await token()).token, { facts });
    expect((await g.hosts.get(r.host_id)).facts).toEqual(facts);
    const plain = await register((await token()).token);
    expect((await g.hosts.get(plain.host_id)).facts).toBeNull();
  });
});

describe('idempotent replay', () => {
  it('returns the same host and a working credential, consuming no second use, from any address', async () => {
    const t = await token({ max_uses: 1 });
    const request = body(t.token);
    const first = await g.enrolment.register(request, '10.0.0.1', 'idem-key-0001');
    const again = await g.enrolment.register(request, '10.0.0.99', 'idem-key-0001');
    expect(again).toEqual(first);
    expect((await g.tokens.get(t.id)).use_count).toBe(1);
    expect((await g.enrolment.authenticate(again.host_token)).id).toBe(first.host_id);
  });

  it('registers once when the same key arrives twice in one batch', async () => {
    const t = await token({ max_uses: 0 });
    const request = body(t.token);
    const [a, b] = await Promise.all([
      g.enrolment.register(request, '10.0.0.1', 'idem-key-race'),
      g.enrolment.register(request, '10.0.0.1', 'idem-key-race'),
    ]);
    expect(b).toEqual(a);
    expect((await g.tokens.get(t.id)).use_count).toBe(1);
  });

  it('refuses the same key with a different body', async () => {
    const t = await token();
    await g.enrolment.register(body(t.token), '10.0.0.1', 'idem-key-0002');
    expect(await refusal(g.enrolment.register(body(t.token), '10.0.0.1', 'idem-key-0002'))).toBe('VALIDATION_FAILED');
  });
});

describe('host credential', () => {
  it('authenticates /me and refuses heartbeats until approved', async () => {
    const r = await register((await token()).token);
    const host = await g.enrolment.authenticate(r.host_token);
    expect(await refusal(g.enrolment.heartbeat(host))).toBe('HOST_PENDING');
    await g.hosts.decide(r.host_id, 'approve', 'admin');
    await beat(r.host_token);
    expect((await g.hosts.get(r.host_id)).connectivity).toBe('ONLINE');
  });

  it('refuses a missing or unknown bearer as UNAUTHORIZED', async () => {
    expect(await refusal(g.enrolment.authenticate(undefined))).toBe('UNAUTHORIZED');
    expect(await refusal(g.enrolment.authenticate('hst_' + randomBytes(32).toString('base64url')))).toBe(
      'UNAUTHORIZED',
    );
  });

  it('is unknown after the host is deleted', async () => {
    const r = await register((await token()).token);
    await g.hosts.delete(r.host_id, 'admin');
    expect(await refusal(g.enrolment.authenticate(r.host_token))).toBe('UNAUTHORIZED');
  });

  it('rotates without downtime: the old one works until the new one is first used', async () => {
    const r = await register((await token({ auto_approve: true })).token);
    const { host_token: next } = await g.enrolment.rotate(await g.enrolment.authenticate(r.host_token));
    expect((await g.enrolment.authenticate(r.host_token)).id).toBe(r.host_id);
    expect((await g.enrolment.authenticate(next)).id).toBe(r.host_id);
    expect(await refusal(g.enrolment.authenticate(r.host_token))).toBe('UNAUTHORIZED');
    expect((await g.enrolment.authenticate(next)).id).toBe(r.host_id);
  });

  it('reports the statuses of the contract on heartbeat and rotation', async () => {
    const r = await register((await token()).token);
    await g.hosts.decide(r.host_id, 'reject', 'admin', 'unknown chassis');
    const rejected = await g.enrolment.authenticate(r.host_token);
    expect(await refusal(g.enrolment.heartbeat(rejected))).toBe('HOST_REJECTED');
    expect(await refusal(g.enrolment.rotate(rejected))).toBe('HOST_REJECTED');
    await g.hosts.decide(r.host_id, 'approve', 'admin');
    await g.hosts.decide(r.host_id, 'disable', 'admin');
    expect(await refusal(beat(r.host_token))).toBe('HOST_DISABLED');
  });

  it('describes the host to itself, with the reason it was rejected', async () => {
    const r = await register((await token()).token, { hostname: 'me-01' });
    await g.hosts.decide(r.host_id, 'reject', 'admin', 'wrong rack');
    expect(await g.enrolment.describe(await g.enrolment.authenticate(r.host_token))).toMatchObject({
      host_id: r.host_id,
      hostname: 'me-01',
      status: 'REJECTED',
      verification_code: r.verification_code,
      reject_reason: 'wrong rack',
      replaced_by: null,
    });
  });
});

describe('connectivity', () => {
  it('is NEVER, then ONLINE, then OFFLINE past the threshold (a setting)', async () => {
    const r = await register((await token({ auto_approve: true })).token);
    expect((await g.hosts.get(r.host_id)).connectivity).toBe('NEVER');
    await beat(r.host_token);
    g.clock.advance(90_000);
    expect((await g.hosts.get(r.host_id)).connectivity).toBe('ONLINE');
    g.clock.advance(1);
    expect((await g.hosts.get(r.host_id)).connectivity).toBe('OFFLINE');
    await g.settings.update({ offline_threshold_seconds: 300 }, 'admin');
    expect((await g.hosts.get(r.host_id)).connectivity).toBe('ONLINE');
  });

  it('writes the first beat at once, coalesces later ones in memory and writes them on flush', async () => {
    const r = await register((await token({ auto_approve: true })).token);
    await beat(r.host_token);
    const first = g.clock.now();
    // Written at once, but without making the host wait for the commit.
    await vi.waitFor(async () => expect((await stored(r.host_id)).last_seen_at).toBe(first));
    g.clock.advance(30_000);
    await beat(r.host_token);
    g.clock.advance(30_000);
    await beat(r.host_token);
    expect((await stored(r.host_id)).last_seen_at).toBe(first);
    expect((await g.hosts.get(r.host_id)).last_seen_at).toBe(new Date(g.clock.now()).toISOString());
    expect(g.heartbeats.backlog).toBe(1);
    expect(await g.heartbeats.flush()).toBe(1);
    expect((await stored(r.host_id)).last_seen_at).toBe(g.clock.now());
    expect(await g.heartbeats.flush()).toBe(0);
  });
});

describe('the approval queue', () => {
  it('keeps a pending host pending after its token expires, is revoked or is deleted', async () => {
    const t = await token({ expires_in_hours: 1 });
    const a = await register(t.token);
    const b = await register(t.token);
    await g.tokens.revoke(t.id, 'admin');
    g.clock.advance(2 * HOUR);
    await g.tokens.delete(t.id, 'admin');
    expect((await g.hosts.list({ status: 'PENDING' })).hosts.map((h) => h.id).sort()).toEqual(
      [a.host_id, b.host_id].sort(),
    );
    expect((await g.hosts.decide(a.host_id, 'approve', 'admin')).status).toBe('APPROVED');
  });

  it('approves a rejected host later without a new registration', async () => {
    const r = await register((await token()).token);
    await g.hosts.decide(r.host_id, 'reject', 'admin', 'not expected');
    expect(await g.hosts.get(r.host_id)).toMatchObject({ status: 'REJECTED', reject_reason: 'not expected' });
    expect(await g.hosts.decide(r.host_id, 'approve', 'alice')).toMatchObject({
      status: 'APPROVED',
      decided_by: 'alice',
      reject_reason: null,
    });
    await beat(r.host_token);
  });

  it('refuses transitions that make no sense with CONFLICT', async () => {
    const r = await register((await token()).token);
    expect(await refusal(g.hosts.decide(r.host_id, 'enable', 'admin'))).toBe('CONFLICT');
    expect(await refusal(g.hosts.decide(r.host_id, 'disable', 'admin'))).toBe('CONFLICT');
    expect((await g.hosts.get(r.host_id)).status).toBe('PENDING');
  });

  it('filters by status', async () => {
    const t = await token();
    const a = await register(t.token);
    await register(t.token);
    await g.hosts.decide(a.host_id, 'approve', 'admin');
    expect((await g.hosts.list({ status: 'APPROVED' })).hosts.map((h) => h.id)).toEqual([a.host_id]);
    expect((await g.hosts.list({ status: 'PENDING' })).total_count).toBe(1);
    expect((await g.hosts.list({})).total_count).toBe(2);
  });

  it('bulk-approves 1,000 pending hosts in one transaction with a result per id', async () => {
    const t = await token();
    const registered = await Promise.all(Array.from({ length: 1000 }, () => register(t.token)));
    const ids = registered.map((r) => r.host_id);
    const unknown = '00000000-0000-4000-8000-000000000000';
    const batches: number[] = [];
    g.store.onBatch((s) => batches.push(s.units));
    const { results } = await g.hosts.bulk({ action: 'approve', ids: [...ids, unknown] }, 'admin');
    expect(batches).toEqual([1]);
    expect(results.filter((r) => r.ok)).toHaveLength(1000);
    expect(results.at(-1)).toMatchObject({ id: unknown, ok: false, error: { code: 'NOT_FOUND' } });
    expect((await g.hosts.list({ status: 'APPROVED' })).total_count).toBe(1000);
    expect((await g.hosts.list({ status: 'PENDING' })).total_count).toBe(0);
  });

  it('records every decision in the audit log', async () => {
    const r = await register((await token()).token, { hostname: 'audit-me' });
    await g.hosts.decide(r.host_id, 'reject', 'alice', 'wrong rack');
    const [entry] = (await g.audit.list({ limit: 1 })).entries;
    expect(entry).toMatchObject({
      actor: 'alice',
      action: 'host.rejected',
      target_type: 'host',
      target_id: r.host_id,
      detail: { hostname: 'audit-me', reason: 'wrong rack', from: 'PENDING', to: 'REJECTED' },
    });
  });
});

describe('re-enrolment of a reinstalled machine', () => {
  async function enrolled() {
    const t = await token({ auto_approve: true });
    const old = await register(t.token, { machine_id: 'machine-reinstalled-01', hostname: 'gpu-01' });
    return { t, old };
  }

  it('makes a PENDING request naming the old host, never auto-approved, the old credential alive', async () => {
    const { t, old } = await enrolled();
    const again = await register(t.token, { machine_id: 'machine-reinstalled-01', hostname: 'gpu-01' });
    expect(again).toMatchObject({ status: 'PENDING', replaces: old.host_id });
    expect(await g.hosts.get(again.host_id)).toMatchObject({ replaces: old.host_id, replaces_hostname: 'gpu-01' });
    await beat(old.host_token);
    expect((await g.hosts.list({})).total_count).toBe(2);
  });

  it('approval retires the old host: its credential dies, its history stays linked', async () => {
    const { t, old } = await enrolled();
    const again = await register(t.token, { machine_id: 'machine-reinstalled-01' });
    await g.hosts.decide(again.host_id, 'approve', 'admin');
    expect(await refusal(g.enrolment.authenticate(old.host_token))).toBe('UNAUTHORIZED');
    expect(await g.hosts.get(old.host_id)).toMatchObject({ replaced_by: again.host_id });
    expect((await g.hosts.list({})).hosts.map((h) => h.id)).toEqual([again.host_id]);
    await beat(again.host_token);
  });

  it('approval kills the old credential even while the old host is beating (cached)', async () => {
    const { t, old } = await enrolled();
    await beat(old.host_token);
    const again = await register(t.token, { machine_id: 'machine-reinstalled-01' });
    await beat(old.host_token);
    await g.hosts.decide(again.host_id, 'approve', 'admin');
    expect(await refusal(g.enrolment.authenticate(old.host_token))).toBe('UNAUTHORIZED');
  });

  it('rejection leaves the old host untouched', async () => {
    const { t, old } = await enrolled();
    const clone = await register(t.token, { machine_id: 'machine-reinstalled-01' });
    await g.hosts.decide(clone.host_id, 'reject', 'admin', 'clone');
    await beat(old.host_token);
    expect(await g.hosts.get(old.host_id)).toMatchObject({ status: 'APPROVED', replaced_by: null });
  });

  it('a host approved then rejected is still enrolled: registering again is a PENDING re-enrolment, and the rejection can be reversed', async () => {
    const { t, old } = await enrolled();
    await g.hosts.decide(old.host_id, 'reject', 'admin', 'suspicious');
    const again = await register(t.token, { machine_id: 'machine-reinstalled-01' });
    expect(again).toMatchObject({ status: 'PENDING', replaces: old.host_id });
    expect(await g.hosts.get(again.host_id)).toMatchObject({ status: 'PENDING', replaces: old.host_id });
    expect(await g.hosts.get(old.host_id)).toMatchObject({ status: 'REJECTED', replaced_by: null });
    expect(await g.hosts.decide(old.host_id, 'approve', 'admin')).toMatchObject({
      status: 'APPROVED',
      reject_reason: null,
    });
    await beat(old.host_token);
  });

  it('matches a reinstalled machine by its firmware UUID under a new machine_id', async () => {
    const t = await token({ auto_approve: true });
    const uuid = '4c4c4544-0042-3510-8056-b7c04f563232';
    const old = await register(t.token, { machine_id: 'machine-before-0001', facts: { system_uuid: uuid } });
    const again = await register(t.token, {
      machine_id: 'machine-after-00001',
      facts: { system_uuid: uuid.toUpperCase() },
    });
    expect(again).toMatchObject({ status: 'PENDING', replaces: old.host_id });
  });

  it('matches a reinstalled machine by its serial under a new machine_id', async () => {
    const t = await token({ auto_approve: true });
    const old = await register(t.token, { machine_id: 'machine-before-0002', facts: { serial: 'CZJ1234ABC' } });
    const again = await register(t.token, { machine_id: 'machine-after-00002', facts: { serial: 'CZJ1234ABC' } });
    expect(again).toMatchObject({ status: 'PENDING', replaces: old.host_id });
    await g.hosts.decide(again.host_id, 'approve', 'admin');
    expect(await g.hosts.get(old.host_id)).toMatchObject({ replaced_by: again.host_id });
    expect(await refusal(g.enrolment.authenticate(old.host_token))).toBe('UNAUTHORIZED');
  });

  it('does not match on facts when neither UUID nor serial is shared', async () => {
    const t = await token({ auto_approve: true });
    await register(t.token, { machine_id: 'machine-other-0001', facts: { serial: 'AAA111' } });
    const r = await register(t.token, { machine_id: 'machine-other-0002', facts: { serial: 'BBB222' } });
    expect(r).toMatchObject({ status: 'APPROVED' });
    expect(r.replaces).toBeUndefined();
  });
});

describe('rival requests for one machine', () => {
  const MACHINE = 'machine-pending-0001';

  it('keeps both PENDING, flagged as a conflict, each with its own code; the first credential still works', async () => {
    const plain = await token();
    const a = await register(plain.token, { machine_id: MACHINE });
    const b = await register(plain.token, { machine_id: MACHINE });
    expect(a.host_id).not.toBe(b.host_id);
    expect(a.verification_code).not.toBe(b.verification_code);
    expect(await g.hosts.get(a.host_id)).toMatchObject({ status: 'PENDING', conflict: true });
    expect(await g.hosts.get(b.host_id)).toMatchObject({ status: 'PENDING', conflict: true });
    expect((await g.hosts.get(a.host_id)).verification_code).toBe(a.verification_code);
    expect((await g.hosts.get(b.host_id)).verification_code).toBe(b.verification_code);
    expect(await g.enrolment.describe(await g.enrolment.authenticate(a.host_token))).toMatchObject({
      host_id: a.host_id,
      status: 'PENDING',
      verification_code: a.verification_code,
    });
    expect((await g.hosts.list({ status: 'PENDING' })).hosts.map((h) => h.id).sort()).toEqual(
      [a.host_id, b.host_id].sort(),
    );
  });

  it('is never auto-approved, even through an auto_approve token', async () => {
    const plain = await token();
    const auto = await token({ auto_approve: true });
    const a = await register(plain.token, { machine_id: MACHINE });
    const b = await register(auto.token, { machine_id: MACHINE });
    expect(b.status).toBe('PENDING');
    expect(await g.hosts.get(a.host_id)).toMatchObject({ status: 'PENDING', conflict: true });
  });

  it('approving one retires the other: its credential dies and the conflict flag clears', async () => {
    const t = await token();
    const a = await register(t.token, { machine_id: MACHINE });
    // The first host polls /me while it waits (its credential is now cached).
    await g.enrolment.describe(await g.enrolment.authenticate(a.host_token));
    const b = await register(t.token, { machine_id: MACHINE });
    await g.enrolment.describe(await g.enrolment.authenticate(a.host_token));
    const approved = await g.hosts.decide(b.host_id, 'approve', 'admin');
    expect(approved).toMatchObject({ status: 'APPROVED', conflict: false });
    expect(await g.hosts.get(a.host_id)).toMatchObject({ replaced_by: b.host_id, conflict: false });
    expect((await g.hosts.list({})).hosts.map((h) => h.id)).toEqual([b.host_id]);
    expect(await refusal(g.enrolment.authenticate(a.host_token))).toBe('UNAUTHORIZED');
    await beat(b.host_token);
  });
});

describe('a request rejected before ever being approved', () => {
  it('is superseded by the next request of the same machine', async () => {
    const t = await token();
    const first = await register(t.token, { machine_id: 'machine-rejected-01' });
    await g.hosts.decide(first.host_id, 'reject', 'admin', 'not yet');
    // The rejected host polls /me and learns why (its credential is now cached).
    expect((await g.enrolment.describe(await g.enrolment.authenticate(first.host_token))).status).toBe('REJECTED');
    const second = await register(t.token, { machine_id: 'machine-rejected-01' });
    expect(second.replaces).toBeUndefined();
    expect(second.status).toBe('PENDING');
    expect(await g.hosts.get(second.host_id)).toMatchObject({ conflict: false, replaces: null });
    expect(await g.hosts.get(first.host_id)).toMatchObject({ replaced_by: second.host_id });
    expect((await g.hosts.list({})).hosts.map((h) => h.id)).toEqual([second.host_id]);
    expect(await refusal(g.enrolment.authenticate(first.host_token))).toBe('UNAUTHORIZED');
  });
});

describe('when the sealing key is replaced', () => {
  it('refuses to re-show a token or replay a registration, with contract errors instead of a crash', async () => {
    const t = await token({ max_uses: 5 });
    const request = body(t.token);
    await g.enrolment.register(request, '10.0.0.1', 'idem-key-rekeyed');
    const rekeyed = await createGatehouse({
      databaseFile: join(g.dir, 'gatehouse.db'),
      secretKey: randomBytes(32),
      clock: g.clock,
    });
    try {
      expect(await refusal(rekeyed.tokens.reveal(t.id, 'admin'))).toBe('TOKEN_NOT_VALID');
      expect(await refusal(rekeyed.enrolment.register(request, '10.0.0.1', 'idem-key-rekeyed'))).toBe('CONFLICT');
      expect((await rekeyed.tokens.get(t.id)).use_count).toBe(1);
    } finally {
      await rekeyed.close();
    }
  });
});
