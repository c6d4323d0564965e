import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RegisterHostInput } from '../../../../src/shared/api/schemas';
import type { AdminEvent } from '../../../../src/shared/domain';
import { makeGatehouse, registration, type TestGatehouse } from '../../../helpers/gatehouse';

const MINUTE = 60_000;
const ADMIN = { actor: 'admin', scope: 'admin' as const };
let g: TestGatehouse;
let events: AdminEvent[];
beforeEach(async () => {
  g = await makeGatehouse();
  events = [];
  g.events.subscribe((e) => events.push(e));
});
afterEach(() => g.dispose());

async function approvedHost(over: Record<string, unknown> = {}) {
  const t = await g.handlers['tokens.create'](
    { expires_in_hours: 24, max_uses: 0, auto_approve: true, ...over },
    ADMIN,
  );
  const r = await g.enrolment.register(registration(t.token) as RegisterHostInput, '10.0.0.1');
  return r;
}
const beat = async (credential: string, source: string) =>
  g.enrolment.heartbeat(await g.enrolment.authenticate(credential), source);
const auditOf = async (action: string) => (await g.audit.list({ action, limit: 100 })).entries;

describe('credential reuse', () => {
  it('raises the alarm when one credential beats from A, then B, then A again within ten minutes', async () => {
    const r = await approvedHost();
    await beat(r.host_token, '10.0.0.1');
    g.clock.advance(MINUTE);
    await beat(r.host_token, '10.0.0.99');
    g.clock.advance(MINUTE);
    expect((await g.hosts.get(r.host_id)).alarm).toBeNull();
    await beat(r.host_token, '10.0.0.1');
    expect((await g.hosts.get(r.host_id)).alarm).toBe('credential_reuse');
    const [entry] = await auditOf('alarm.credential_reuse');
    expect(entry).toMatchObject({ target_id: r.host_id, detail: { sources: ['10.0.0.1', '10.0.0.99', '10.0.0.1'] } });
    expect(events).toContainEqual({ topic: 'hosts', action: 'alarm', id: r.host_id });
  });

  it('takes a host that moved networks and back after the window as a host that moved', async () => {
    const r = await approvedHost();
    await beat(r.host_token, '10.0.0.1');
    await beat(r.host_token, '10.0.5.1');
    g.clock.advance(11 * MINUTE);
    await beat(r.host_token, '10.0.0.1');
    expect((await g.hosts.get(r.host_id)).alarm).toBeNull();
    expect(await auditOf('alarm.credential_reuse')).toEqual([]);
  });
});

describe('stale hosts', () => {
  it('deletes an ephemeral host once it has been offline longer than its token says, and audits it', async () => {
    const r = await approvedHost({ ephemeral_offline_minutes: 30 });
    const keeper = await approvedHost();
    await beat(r.host_token, '10.0.0.1');
    await g.heartbeats.flush();
    g.clock.advance(29 * MINUTE);
    expect(await g.hosts.sweepStale()).toEqual({ deleted: 0, disabled: 0 });
    g.clock.advance(2 * MINUTE);
    expect(await g.hosts.sweepStale()).toEqual({ deleted: 1, disabled: 0 });
    await expect(g.hosts.get(r.host_id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(g.enrolment.authenticate(r.host_token)).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    expect((await g.hosts.get(keeper.host_id)).status).toBe('APPROVED');
    const [entry] = await auditOf('host.deleted');
    expect(entry).toMatchObject({
      actor: 'gatehouse',
      target_id: r.host_id,
      detail: { reason: 'ephemeral', offline_minutes: 30 },
    });
  });

  it('disables approved hosts silent longer than disable_offline_after_days, and only when the setting is on', async () => {
    const r = await approvedHost();
    await beat(r.host_token, '10.0.0.1');
    await g.heartbeats.flush();
    g.clock.advance(3 * 86_400_000);
    expect(await g.hosts.sweepStale()).toEqual({ deleted: 0, disabled: 0 });
    await g.handlers['settings.update']({ disable_offline_after_days: 2 }, ADMIN);
    expect(await g.hosts.sweepStale()).toEqual({ deleted: 0, disabled: 1 });
    expect((await g.hosts.get(r.host_id)).status).toBe('DISABLED');
    const [entry] = await auditOf('host.disabled');
    expect(entry).toMatchObject({ actor: 'gatehouse', detail: { reason: 'offline', offline_days: 2 } });
  });
});
