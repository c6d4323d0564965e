import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiError } from '../../../../src/shared/api/errors';
import { makeGatehouse, registration, type TestGatehouse } from '../../../helpers/gatehouse';

const HOUR = 3_600_000;
let g: TestGatehouse;
beforeEach(() => {
  g = makeGatehouse();
});
afterEach(() => g.dispose());

const token = (over: Record<string, unknown> = {}) =>
  g.tokens.create({ expires_in_hours: 4, max_uses: 0, ...over } as never, 'admin');
const register = (text: string, over: Record<string, unknown> = {}, source = '10.0.0.7', key?: string) =>
  g.enrolment.register(registration(text, over) as never, source, key);

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof ApiError) return error.code;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('registration', () => {
  it('creates a PENDING host with a 256-bit credential and a six-digit verification code', () => {
    const t = token();
    const r = register(t.token, { hostname: 'db-01', ips: ['10.0.0.7'] });
    expect(r.status).toBe('PENDING');
    expect(r.verification_code).toMatch(/^\d{6}$/);
    expect(Buffer.from(r.host_token.slice(4), 'base64url')).toHaveLength(32);
    expect(g.hosts.get(r.host_id)).toMatchObject({
      hostname: 'db-01',
      status: 'PENDING',
      connectivity: 'NEVER',
      remote_addr: '10.0.0.7',
      ips: ['10.0.0.7'],
      token_id: t.id,
      token_prefix: t.prefix,
      verification_code: r.verification_code,
    });
  });

  it('merges the token labels with the host labels, once each', () => {
    const t = token({ labels: ['rack=b12', 'env=lab'] });
    const r = register(t.token, { labels: ['gpu', 'env=lab'] });
    expect(g.hosts.get(r.host_id).labels).toEqual(['rack=b12', 'env=lab', 'gpu']);
  });

  it('auto-approves through an auto_approve token', () => {
    const r = register(token({ auto_approve: true }).token);
    expect(r.status).toBe('APPROVED');
    expect(g.hosts.get(r.host_id).decided_by).toMatch(/^token:GATE-/);
  });

  it('keeps last_used_at and used_by_nodes', () => {
    const t = token();
    g.clock.advance(60_000);
    const r = register(t.token, { hostname: 'web-7' });
    const after = g.tokens.get(t.id);
    expect(after.last_used_at).toBe(new Date(g.clock.now()).toISOString());
    expect(after.used_by_nodes).toEqual([{ host_id: r.host_id, hostname: 'web-7' }]);
  });

  it('refuses sources outside allowed_cidrs and counts the refusal on the token', () => {
    const t = token({ allowed_cidrs: ['10.1.0.0/16', 'fd00::/8'] });
    expect(register(t.token, {}, '10.1.2.3').status).toBe('PENDING');
    expect(register(t.token, {}, '::ffff:10.1.2.4').status).toBe('PENDING');
    expect(register(t.token, {}, 'fd00::5').status).toBe('PENDING');
    expect(refusal(() => register(t.token, {}, '10.2.0.1'))).toBe('TOKEN_SOURCE_DENIED');
    expect(g.tokens.get(t.id)).toMatchObject({ use_count: 3, failed_attempts: { count: 1, last_source: '10.2.0.1' } });
  });
});

describe('idempotent replay', () => {
  it('returns the same host and a working credential, consuming no second use, from any address', () => {
    const t = token({ max_uses: 1 });
    const body = registration(t.token);
    const first = g.enrolment.register(body as never, '10.0.0.1', 'idem-key-0001');
    const again = g.enrolment.register(body as never, '10.0.0.99', 'idem-key-0001');
    expect(again).toEqual(first);
    expect(g.tokens.get(t.id).use_count).toBe(1);
    expect(g.enrolment.authenticate(again.host_token).id).toBe(first.host_id);
  });

  it('refuses the same key with a different body', () => {
    const t = token();
    g.enrolment.register(registration(t.token) as never, '10.0.0.1', 'idem-key-0002');
    expect(refusal(() => g.enrolment.register(registration(t.token) as never, '10.0.0.1', 'idem-key-0002'))).toBe(
      'VALIDATION_FAILED',
    );
  });
});

describe('host credential', () => {
  it('authenticates /me and refuses heartbeats until approved', () => {
    const r = register(token().token);
    const host = g.enrolment.authenticate(r.host_token);
    expect(refusal(() => g.enrolment.heartbeat(host))).toBe('HOST_PENDING');
    g.hosts.decide(r.host_id, 'approve', 'admin');
    g.enrolment.heartbeat(g.enrolment.authenticate(r.host_token));
    expect(g.hosts.get(r.host_id).connectivity).toBe('ONLINE');
  });

  it('is unknown after the host is deleted', () => {
    const r = register(token().token);
    g.hosts.delete(r.host_id, 'admin');
    expect(refusal(() => g.enrolment.authenticate(r.host_token))).toBe('UNAUTHORIZED');
  });

  it('rotates without downtime: the old one works until the new one is first used', () => {
    const r = register(token({ auto_approve: true }).token);
    const { host_token: next } = g.enrolment.rotate(g.enrolment.authenticate(r.host_token));
    expect(g.enrolment.authenticate(r.host_token).id).toBe(r.host_id);
    expect(g.enrolment.authenticate(next).id).toBe(r.host_id);
    expect(refusal(() => g.enrolment.authenticate(r.host_token))).toBe('UNAUTHORIZED');
    expect(g.enrolment.authenticate(next).id).toBe(r.host_id);
  });

  it('reports the statuses of the contract on heartbeat and rotation', () => {
    const t = token();
    const r = register(t.token);
    g.hosts.decide(r.host_id, 'reject', 'admin', 'unknown chassis');
    const rejected = g.enrolment.authenticate(r.host_token);
    expect(refusal(() => g.enrolment.heartbeat(rejected))).toBe('HOST_REJECTED');
    expect(refusal(() => g.enrolment.rotate(rejected))).toBe('HOST_REJECTED');
    g.hosts.decide(r.host_id, 'approve', 'admin');
    g.hosts.decide(r.host_id, 'disable', 'admin');
    expect(refusal(() => g.enrolment.heartbeat(g.enrolment.authenticate(r.host_token)))).toBe('HOST_DISABLED');
  });
});

describe('connectivity', () => {
  it('is NEVER, then ONLINE, then OFFLINE past the threshold (a setting)', () => {
    const r = register(token({ auto_approve: true }).token);
    expect(g.hosts.get(r.host_id).connectivity).toBe('NEVER');
    g.enrolment.heartbeat(g.enrolment.authenticate(r.host_token));
    g.clock.advance(90_000);
    expect(g.hosts.get(r.host_id).connectivity).toBe('ONLINE');
    g.clock.advance(1);
    expect(g.hosts.get(r.host_id).connectivity).toBe('OFFLINE');
    g.settings.update({ offline_threshold_seconds: 300 }, 'admin');
    expect(g.hosts.get(r.host_id).connectivity).toBe('ONLINE');
  });

  it('coalesces heartbeats in memory and writes them on flush', () => {
    const r = register(token({ auto_approve: true }).token);
    const host = () => g.enrolment.authenticate(r.host_token);
    g.enrolment.heartbeat(host());
    g.clock.advance(30_000);
    g.enrolment.heartbeat(host());
    const stored = () => g.db.prepare('SELECT last_seen_at FROM hosts WHERE id = ?').pluck().get(r.host_id);
    expect(stored()).toBe(g.clock.now() - 30_000);
    expect(g.hosts.get(r.host_id).last_seen_at).toBe(new Date(g.clock.now()).toISOString());
    expect(g.heartbeats.flush()).toBe(1);
    expect(stored()).toBe(g.clock.now());
  });
});

describe('the approval queue', () => {
  it('keeps a pending host pending after its token expires, is revoked or is deleted', () => {
    const t = token({ expires_in_hours: 1 });
    const a = register(t.token);
    const b = register(t.token);
    g.tokens.revoke(t.id, 'admin');
    g.clock.advance(2 * HOUR);
    g.tokens.delete(t.id, 'admin');
    expect(
      g.hosts
        .list('PENDING')
        .hosts.map((h) => h.id)
        .sort(),
    ).toEqual([a.host_id, b.host_id].sort());
    expect(g.hosts.decide(a.host_id, 'approve', 'admin').status).toBe('APPROVED');
  });

  it('approves a rejected host later without a new registration', () => {
    const r = register(token().token);
    g.hosts.decide(r.host_id, 'reject', 'admin', 'not expected');
    expect(g.hosts.get(r.host_id)).toMatchObject({ status: 'REJECTED', reject_reason: 'not expected' });
    expect(g.hosts.decide(r.host_id, 'approve', 'alice')).toMatchObject({
      status: 'APPROVED',
      decided_by: 'alice',
      reject_reason: null,
    });
    g.enrolment.heartbeat(g.enrolment.authenticate(r.host_token));
  });

  it('refuses transitions that make no sense with CONFLICT', () => {
    const r = register(token().token);
    expect(refusal(() => g.hosts.decide(r.host_id, 'enable', 'admin'))).toBe('CONFLICT');
    expect(refusal(() => g.hosts.decide(r.host_id, 'disable', 'admin'))).toBe('CONFLICT');
  });

  it('filters by status', () => {
    const t = token();
    const a = register(t.token);
    register(t.token);
    g.hosts.decide(a.host_id, 'approve', 'admin');
    expect(g.hosts.list('APPROVED').hosts.map((h) => h.id)).toEqual([a.host_id]);
    expect(g.hosts.list('PENDING').total_count).toBe(1);
    expect(g.hosts.list().total_count).toBe(2);
  });

  it('bulk-approves 1,000 pending hosts in one transaction with a result per id', () => {
    const t = token();
    const ids = Array.from({ length: 1000 }, () => register(t.token).host_id);
    const unknown = '00000000-0000-4000-8000-000000000000';
    const { results } = g.hosts.bulk('approve', [...ids, unknown], 'admin');
    expect(results.filter((r) => r.ok)).toHaveLength(1000);
    expect(results.at(-1)).toMatchObject({ id: unknown, ok: false, error: { code: 'NOT_FOUND' } });
    expect(g.hosts.list('APPROVED').total_count).toBe(1000);
    expect(g.hosts.list('PENDING').total_count).toBe(0);
  });

  it('records every decision in the audit log', () => {
    const r = register(token().token, { hostname: 'audit-me' });
    g.hosts.decide(r.host_id, 'reject', 'alice', 'wrong rack');
    const [entry] = g.audit.list({ limit: 1 }).entries;
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
  function enrolled() {
    const t = token({ auto_approve: true });
    const old = register(t.token, { machine_id: 'machine-reinstalled-01', hostname: 'gpu-01' });
    return { t, old };
  }

  it('makes a PENDING request naming the old host, never auto-approved, the old credential alive', () => {
    const { t, old } = enrolled();
    const again = register(t.token, { machine_id: 'machine-reinstalled-01', hostname: 'gpu-01' });
    expect(again).toMatchObject({ status: 'PENDING', replaces: old.host_id });
    expect(g.hosts.get(again.host_id)).toMatchObject({ replaces: old.host_id, replaces_hostname: 'gpu-01' });
    g.enrolment.heartbeat(g.enrolment.authenticate(old.host_token));
    expect(g.hosts.list().total_count).toBe(2);
  });

  it('approval retires the old host: its credential dies, its history stays linked', () => {
    const { t, old } = enrolled();
    const again = register(t.token, { machine_id: 'machine-reinstalled-01' });
    g.hosts.decide(again.host_id, 'approve', 'admin');
    expect(refusal(() => g.enrolment.authenticate(old.host_token))).toBe('UNAUTHORIZED');
    expect(g.hosts.get(old.host_id)).toMatchObject({ replaced_by: again.host_id });
    expect(g.hosts.list().hosts.map((h) => h.id)).toEqual([again.host_id]);
    g.enrolment.heartbeat(g.enrolment.authenticate(again.host_token));
  });

  it('rejection leaves the old host untouched', () => {
    const { t, old } = enrolled();
    const clone = register(t.token, { machine_id: 'machine-reinstalled-01' });
    g.hosts.decide(clone.host_id, 'reject', 'admin', 'clone');
    g.enrolment.heartbeat(g.enrolment.authenticate(old.host_token));
    expect(g.hosts.get(old.host_id)).toMatchObject({ status: 'APPROVED', replaced_by: null });
  });

  it('a repeated request supersedes the earlier one, so the queue holds no duplicates', () => {
    const { t, old } = enrolled();
    const first = register(t.token, { machine_id: 'machine-reinstalled-01' });
    const second = register(t.token, { machine_id: 'machine-reinstalled-01' });
    expect(second.replaces).toBe(old.host_id);
    expect(g.hosts.list('PENDING').hosts.map((h) => h.id)).toEqual([second.host_id]);
    expect(refusal(() => g.enrolment.authenticate(first.host_token))).toBe('UNAUTHORIZED');
  });

  it('a machine re-registering while still pending replaces its own request', () => {
    const t = token();
    const first = register(t.token, { machine_id: 'machine-pending-0001' });
    const second = register(t.token, { machine_id: 'machine-pending-0001' });
    expect(second.replaces).toBeUndefined();
    expect(g.hosts.list('PENDING').hosts.map((h) => h.id)).toEqual([second.host_id]);
    expect(first.host_id).not.toBe(second.host_id);
  });
});

describe('when the sealing key is replaced', () => {
  it('refuses to re-show a token or replay a registration, with contract errors instead of a crash', async () => {
    const { createGatehouse } = await import('../../../../src/main/core/gatehouse');
    const { randomBytes } = await import('node:crypto');
    const { join } = await import('node:path');
    const t = token({ max_uses: 5 });
    const body = registration(t.token);
    g.enrolment.register(body as never, '10.0.0.1', 'idem-key-rekeyed');
    const rekeyed = createGatehouse({
      databaseFile: join(g.dir, 'gatehouse.db'),
      secretKey: randomBytes(32),
      clock: g.clock,
    });
    try {
      expect(refusal(() => rekeyed.tokens.reveal(t.id, 'admin'))).toBe('TOKEN_NOT_VALID');
      expect(refusal(() => rekeyed.enrolment.register(body as never, '10.0.0.1', 'idem-key-rekeyed'))).toBe('CONFLICT');
      expect(rekeyed.tokens.get(t.id).use_count).toBe(1);
    } finally {
      rekeyed.close();
    }
  });
});
