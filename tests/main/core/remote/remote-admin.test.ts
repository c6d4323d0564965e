import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../../../src/shared/api/errors';
import { OPERATION_NAMES, type OperationName } from '../../../../src/shared/api/operations';
import type { AdminEvent } from '../../../../src/shared/domain';
import { createRemoteAdminHandlers, type TeamServerTarget } from '../../../../src/main/core/remote/remote-admin';
import { followRemoteEvents, RESYNC_EVENT } from '../../../../src/main/core/remote/remote-events';
import { probeTeamServer, teamServerHandlers } from '../../../../src/main/core/remote/team-server';
import { EventBus } from '../../../../src/main/core/services/event-bus';
import { dispatch } from '../../../../src/main/core/api/dispatch';
import type { AdminHandlers } from '../../../../src/main/core/api/admin-handlers';
import { registration } from '../../../helpers/gatehouse';
import { startTlsTeamServer, type TlsTeamServer } from './team-server-fixture';

let team: TlsTeamServer;
let admin: TeamServerTarget;
beforeAll(async () => {
  team = await startTlsTeamServer();
  admin = await team.target('admin');
});
afterAll(() => team.dispose());

const ctx = { actor: 'desktop:test', scope: 'admin' as const };

/** Records every operation that went through, so the test can show none was left out. */
function recording(handlers: AdminHandlers, seen: Set<OperationName>) {
  return <N extends OperationName>(name: N, input: unknown) => {
    seen.add(name);
    return dispatch(handlers, name, input, ctx);
  };
}

async function refusal(promise: unknown): Promise<ApiError> {
  const error = await Promise.resolve(promise).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
}

describe('remote admin handlers over pinned HTTPS', () => {
  it('serves every operation of the table from the team server', async () => {
    const seen = new Set<OperationName>();
    const call = recording(createRemoteAdminHandlers(admin), seen);
    const g = team.headless.gatehouse;

    const token = await call('tokens.create', { expires_in_hours: 1, max_uses: 3, description: 'remote' });
    expect(token.token).toMatch(/^GATE-/);
    expect((await call('tokens.list', { include_expired: true })).tokens.map((t) => t.id)).toContain(token.id);
    expect((await call('tokens.get', { id: token.id })).description).toBe('remote');
    expect((await call('tokens.reveal', { id: token.id })).token).toBe(token.token);
    const svg = await call('tokens.qr', { id: token.id, format: 'svg' });
    expect(svg.content_type).toBe('image/svg+xml');
    expect(svg.data).toContain('<svg');
    const png = await call('tokens.qr', { id: token.id, format: 'png' });
    expect(Buffer.from(png.data, 'base64').subarray(1, 4).toString()).toBe('PNG');

    const a = await g.enrolment.register(registration(token.token), '10.1.0.1');
    const b = await g.enrolment.register(registration(token.token), '10.1.0.2');
    expect((await call('hosts.list', { status: 'PENDING' })).hosts.map((h) => h.id).sort()).toEqual(
      [a.host_id, b.host_id].sort(),
    );
    expect((await call('hosts.counts', {})).by_status.PENDING).toBe(2);
    expect((await call('hosts.get', { id: a.host_id })).verification_code).toBe(a.verification_code);
    expect((await call('hosts.approve', { id: a.host_id })).status).toBe('APPROVED');
    expect((await call('hosts.disable', { id: a.host_id })).status).toBe('DISABLED');
    expect((await call('hosts.enable', { id: a.host_id })).status).toBe('APPROVED');
    expect((await call('hosts.reject', { id: b.host_id, reason: 'not ours' })).reject_reason).toBe('not ours');
    expect((await call('hosts.bulk', { action: 'approve', ids: [b.host_id] })).results ?? []).toBeDefined();
    expect((await g.hosts.get(b.host_id)).status).toBe('APPROVED');
    const csv = await call('inventory.export', { format: 'csv' });
    expect(csv.content_type).toBe('text/csv');
    expect(csv.data).toContain((await g.hosts.get(a.host_id)).hostname);
    expect(await call('hosts.delete', { id: b.host_id })).toBeUndefined();
    expect(await call('tokens.revoke', { id: token.id })).toMatchObject({ state: 'revoked' });
    expect(await call('tokens.delete', { id: token.id })).toBeUndefined();

    const audit = await call('audit.list', { limit: 50 });
    expect(audit.entries.some((e) => e.action.includes('approve') && e.actor.startsWith('desktop-admin-'))).toBe(true);
    expect((await call('settings.update', { offline_threshold_seconds: 120 })).offline_threshold_seconds).toBe(120);
    expect((await call('settings.get', {})).offline_threshold_seconds).toBe(120);
    expect((await call('system.info', {})).tls_fingerprint).toBe(team.pin);

    const cred = await call('credentials.create', { name: 'robot', scope: 'read-only' });
    expect(cred.credential).toMatch(/^gha_/);
    expect((await call('credentials.list', {})).credentials.map((c) => c.name)).toContain('robot');
    expect(await call('credentials.revoke', { id: cred.id })).toBeUndefined();

    const imported = await call('expected.import', {
      csv: 'hostname,serial,system_uuid,mac,labels,position\nrack-01,SER001,,,,B12-01\n',
    });
    expect(imported).toMatchObject({ imported: 1, errors: [] });
    expect((await call('expected.list', { import_id: imported.import_id })).total_count).toBe(1);
    const sheet = await call('expected.sheet', { import_id: imported.import_id });
    expect(sheet.content_type).toBe('text/html');
    expect(sheet.data).toContain('rack-01');

    const first = await call('rules.create', { name: 'lab', match: { cidr: '10.9.0.0/16' }, max_count: 5 });
    const second = await call('rules.create', { name: 'gpu', match: { label: 'gpu' }, max_count: 0 });
    expect((await call('rules.list', {})).rules.map((r) => r.name)).toEqual(['lab', 'gpu']);
    expect((await call('rules.reorder', { ids: [second.id, first.id] })).rules.map((r) => r.name)).toEqual([
      'gpu',
      'lab',
    ]);
    expect((await call('rules.update', { id: first.id, enabled: false })).enabled).toBe(false);
    expect(await call('rules.delete', { id: first.id })).toBeUndefined();

    // Webhooks and mail: a receiver that is not listening makes the deliveries fail fast.
    const hook = await call('webhooks.create', { url: 'http://127.0.0.1:9/hook', events: ['*'] });
    expect(hook.secret).toMatch(/\S{20,}/);
    expect((await call('webhooks.list', {})).webhooks.map((w) => w.id)).toContain(hook.id);
    await call('webhooks.test', { id: hook.id });
    expect((await call('webhooks.deliveries', { id: hook.id })).deliveries.length).toBeGreaterThan(0);
    const sendable = await call('tokens.create', { expires_in_hours: 1, max_uses: 1 });
    expect((await call('tokens.send', { id: sendable.id, to: hook.id })).delivered).toBe(false);
    expect(await call('webhooks.delete', { id: hook.id })).toBeUndefined();
    await call('mail.settings.update', { host: '127.0.0.1', port: 9, security: 'none', from: 'g@example.test' });
    expect((await call('mail.settings.get', {})).host).toBe('127.0.0.1');

    const before = await call('system.info', {});
    const regenerated = await call('certificate.regenerate', {});
    expect(regenerated.tls_fingerprint).not.toBe(before.tls_fingerprint);

    expect([...OPERATION_NAMES].filter((name) => !seen.has(name))).toEqual([]);
  });

  it('answers system.info with the server it is attached to', async () => {
    const info = await teamServerHandlers(admin)['system.info']({}, ctx);
    expect(info.team_server).toEqual({ url: team.url, pin: team.pin });
    expect(info.version).toBe('test');
  });

  it('refuses a server whose key does not match the pin before any request is sent', async () => {
    const hits: string[] = [];
    team.headless.gatehouse.events.subscribe(() => hits.push('event'));
    const auditBefore = (await team.headless.gatehouse.audit.list({ limit: 1 })).entries[0]?.id;
    const wrong = { ...admin, pin: Buffer.alloc(32, 7).toString('base64') };
    const error = await refusal(
      createRemoteAdminHandlers(wrong)['tokens.create']({ expires_in_hours: 1, max_uses: 1 } as never, ctx),
    );
    expect(error.code).toBe('FORBIDDEN');
    expect(error.message).toContain('nothing was sent');
    expect(error.message).toContain(team.pin);
    // Nothing reached the server: no token was made, no audit entry written.
    expect((await team.headless.gatehouse.audit.list({ limit: 1 })).entries[0]?.id).toBe(auditBefore);
    expect(hits).toEqual([]);
    const probe = await refusal(probeTeamServer(wrong));
    expect(probe.code).toBe('VALIDATION_FAILED');
    expect(probe.message).toMatch(/^pin does not match/);
  });

  it('brings back the 403 of a read-only credential as the contract error', async () => {
    const reader = createRemoteAdminHandlers(await team.target('read-only'));
    expect((await reader['hosts.counts']({}, ctx)).total).toBeGreaterThanOrEqual(0);
    const error = await refusal(reader['tokens.create']({ expires_in_hours: 1, max_uses: 1 } as never, ctx));
    expect(error.code).toBe('FORBIDDEN');
    expect(error.status).toBe(403);
    expect(error.message).toContain('read-only');
  });

  it('says a refused credential is the field to fix when connecting', async () => {
    const error = await refusal(probeTeamServer({ ...admin, credential: 'gha_' + 'x'.repeat(43) }));
    expect(error.code).toBe('UNAUTHORIZED');
    expect(error.message).toMatch(/^credential was refused/);
  });
});

const portIsFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const probe = createServer()
      .once('error', () => resolve(false))
      .listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });

describe('remote events', () => {
  // A server of its own: the table test above regenerates the first one's key pair.
  let events: TlsTeamServer;
  let target: TeamServerTarget;
  beforeAll(async () => {
    events = await startTlsTeamServer();
    target = await events.target('read-only');
  });
  afterAll(() => events.dispose());

  it('delivers a registration from the server and reconnects after a restart, asking clients to resync', async () => {
    const bus = new EventBus();
    const received: AdminEvent[] = [];
    bus.subscribe((event) => received.push(event));
    const states: boolean[] = [];
    const stream = followRemoteEvents({
      server: target,
      bus,
      minDelayMs: 50,
      maxDelayMs: 400,
      onState: (s) => states.push(s.connected),
    });
    try {
      await stream.connected;
      const g = () => events.headless.gatehouse;
      const token = await g().tokens.create({ expires_in_hours: 1, max_uses: 2 }, 'test');
      const first = await g().enrolment.register(registration(token.token), '10.2.0.1');
      await expect
        .poll(
          () =>
            received.some((e) => e.topic === 'hosts' && e.action === 'registered' && e.ids?.includes(first.host_id)),
          { timeout: 10_000 },
        )
        .toBe(true);

      await events.restart();
      expect(await portIsFree(Number(new URL(events.url).port))).toBe(false);
      await expect
        .poll(() => received.some((e) => e.topic === RESYNC_EVENT.topic && e.action === 'resync'), { timeout: 10_000 })
        .toBe(true);
      expect(states).toContain(false);
      const second = await g().enrolment.register(registration(token.token), '10.2.0.2');
      await expect
        .poll(() => received.some((e) => e.topic === 'hosts' && e.ids?.includes(second.host_id)), { timeout: 10_000 })
        .toBe(true);
    } finally {
      stream.close();
    }
  });
});
