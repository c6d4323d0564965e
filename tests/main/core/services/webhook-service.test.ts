import { createHmac } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../../../src/shared/api/errors';
import { dispatch } from '../../../../src/main/core/api/dispatch';
import type { CreatedToken } from '../../../../src/shared/domain';
import { makeGatehouse, registration, type TestGatehouse } from '../../../helpers/gatehouse';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A receiver on loopback that answers each request with the next planned status (then 200). */
async function receiver(plan: (number | 'hang')[] = []) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      const next = plan.shift() ?? 200;
      if (next === 'hang') return;
      res.writeHead(next, next >= 300 && next < 400 ? { Location: 'http://127.0.0.1:1/elsewhere' } : {}).end('answer');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return {
    url,
    received,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

let g: TestGatehouse;
const closers: (() => Promise<void>)[] = [];
beforeEach(async () => {
  g = await makeGatehouse();
  // What startWebhookDelivery does, without its timers: each committed event is queued.
  g.events.subscribe((event) => void g.webhooks.enqueueFromEvent(event));
});
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  await g.dispose();
});

/** Answers are checked field by field below, so they are taken as unknown. */
const call = (name: Parameters<typeof dispatch>[1], input: Record<string, unknown>): Promise<unknown> =>
  dispatch(g.handlers, name, input, { actor: 'alice', scope: 'admin' });

async function hook(events: string[], plan: (number | 'hang')[] = [], preset?: string) {
  const r = await receiver(plan);
  closers.push(r.close);
  const created = (await call('webhooks.create', { url: r.url, events, ...(preset ? { preset } : {}) })) as {
    id: string;
    secret: string;
  };
  return { ...r, ...created };
}

/** Lets the bus listeners' queued writes land (they run after the publishing commit). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 30));

async function pendingHost(maxUses = 0) {
  const token = (await call('tokens.create', { expires_in_hours: 72, max_uses: maxUses })) as CreatedToken;
  const result = (await g.enrolment.register(registration(token.token) as never, '10.0.0.7')) as { host_id: string };
  return { token, hostId: result.host_id };
}

describe('webhook registry', () => {
  it('shows the signing secret once and keeps it sealed in the store', async () => {
    const h = await hook(['*']);
    expect(h.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    const listed = (await call('webhooks.list', {})) as { webhooks: Record<string, unknown>[] };
    expect(listed.webhooks).toHaveLength(1);
    expect(listed.webhooks[0]).not.toHaveProperty('secret');
    expect(listed.webhooks[0]).toMatchObject({ id: h.id, url: h.url, events: ['*'], preset: null, enabled: true });
    await g.store.close().catch(() => {});
    const bytes = ['gatehouse.db', 'gatehouse.db-wal']
      .map((f) => {
        try {
          return readFileSync(join(g.dir, f));
        } catch {
          return Buffer.alloc(0);
        }
      })
      .reduce((a, b) => Buffer.concat([a, b]));
    expect(bytes.includes(Buffer.from(h.secret))).toBe(false);
    rmSync(g.dir, { recursive: true, force: true });
    g = await makeGatehouse(); // the store above is closed; afterEach disposes this one
  });

  it('refuses a URL that is not http(s), naming the field', async () => {
    const error = (await call('webhooks.create', { url: 'file:///etc/passwd', events: ['*'] }).catch(
      (e) => e,
    )) as ApiError;
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(JSON.stringify(error.details)).toContain('url');
    const unknownEvent = (await call('webhooks.create', { url: 'http://x.test/', events: ['host.exploded'] }).catch(
      (e) => e,
    )) as ApiError;
    expect(unknownEvent.code).toBe('VALIDATION_FAILED');
    expect(JSON.stringify(unknownEvent.details)).toContain('events');
  });

  it('audits creation and deletion without the secret or the URL path', async () => {
    const h = await hook(['*']);
    await call('webhooks.delete', { id: h.id });
    const audit = (await call('audit.list', { action: 'webhook.created' })) as { entries: { detail: unknown }[] };
    const text = JSON.stringify(audit.entries);
    expect(text).toContain(new URL(h.url).origin);
    expect(text).not.toContain(h.secret);
    expect(text).not.toContain('/hook');
    expect(((await call('webhooks.list', {})) as { webhooks: unknown[] }).webhooks).toEqual([]);
    const again = (await call('webhooks.delete', { id: h.id }).catch((e) => e)) as ApiError;
    expect(again.code).toBe('NOT_FOUND');
  });
});

describe('events become queued deliveries', () => {
  it('queues host.pending for a registration, for subscribed webhooks only, once per event', async () => {
    const all = await hook(['host.pending']);
    const tokensOnly = await hook(['token.exhausted']);
    const { hostId } = await pendingHost();
    await settle();
    // The same event heard again (another server of a team, a replayed notification) queues nothing new.
    expect(await g.webhooks.enqueueFromEvent({ topic: 'hosts', action: 'registered', ids: [hostId] })).toBe(0);
    const log = (await call('webhooks.deliveries', { id: all.id })) as { deliveries: { event: string }[] };
    expect(log.deliveries.map((d) => d.event)).toEqual(['host.pending']);
    expect(
      ((await call('webhooks.deliveries', { id: tokensOnly.id })) as { deliveries: unknown[] }).deliveries,
    ).toEqual([]);
    await g.webhooks.processDue();
    expect(all.received).toHaveLength(1);
    const body = JSON.parse(all.received[0]!.body) as {
      id: string;
      event: string;
      at: string;
      data: { host: { id: string } };
    };
    expect(Object.keys(body).sort()).toEqual(['at', 'data', 'event', 'id']);
    expect(body.event).toBe('host.pending');
    expect(body.data.host.id).toBe(hostId);
    expect(all.received[0]!.headers['gatehouse-delivery']).toBe(body.id);
  });

  it('queues host.approved and host.rejected for single and bulk decisions', async () => {
    const h = await hook(['host.approved', 'host.rejected']);
    const a = await pendingHost();
    const b = await pendingHost();
    const c = await pendingHost();
    await call('hosts.approve', { id: a.hostId });
    await call('hosts.bulk', { action: 'reject', ids: [b.hostId, c.hostId], reason: 'not ours' });
    await settle();
    await g.webhooks.processDue();
    const events = h.received.map((r) => JSON.parse(r.body) as { event: string; data: { host: { id: string } } });
    expect(events.map((e) => `${e.event} ${e.data.host.id}`).sort()).toEqual(
      [`host.approved ${a.hostId}`, `host.rejected ${b.hostId}`, `host.rejected ${c.hostId}`].sort(),
    );
  });

  it('queues token.exhausted when the last use is taken', async () => {
    const h = await hook(['token.exhausted']);
    const { token } = await pendingHost(1);
    await settle();
    await g.webhooks.processDue();
    expect(h.received.map((r) => (JSON.parse(r.body) as { data: { token: { id: string } } }).data.token.id)).toEqual([
      token.id,
    ]);
  });

  it('announces a host that went offline once, and a token expiring within a day once', async () => {
    const h = await hook(['host.offline', 'token.expiring']);
    const { hostId } = await pendingHost();
    await call('hosts.approve', { id: hostId });
    await call('tokens.create', { expires_in_hours: 48, max_uses: 0, description: 'later' });
    const soon = (await call('tokens.create', {
      expires_in_hours: 12,
      max_uses: 0,
      description: 'soon',
    })) as CreatedToken;
    g.heartbeats.record(hostId, g.clock.now());
    await g.heartbeats.flush();
    await g.webhooks.checkPeriodic(); // online now: nothing about the host
    g.clock.advance(5 * 60_000); // past the 90 s offline threshold
    await g.webhooks.checkPeriodic();
    await g.webhooks.checkPeriodic();
    await g.webhooks.processDue();
    const got = h.received.map((r) => JSON.parse(r.body) as { event: string; data: Record<string, { id: string }> });
    expect(got.map((e) => e.event).sort()).toEqual(['host.offline', 'token.expiring']);
    expect(got.find((e) => e.event === 'host.offline')!.data.host!.id).toBe(hostId);
    expect(got.find((e) => e.event === 'token.expiring')!.data.token!.id).toBe(soon.id);
  });
});

describe('sending', () => {
  it('signs each delivery over "<t>.<body>" with the webhook secret', async () => {
    const h = await hook(['*']);
    await pendingHost();
    await settle();
    await g.webhooks.processDue();
    const { headers, body } = h.received[0]!;
    const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(headers['gatehouse-signature']));
    expect(match).not.toBeNull();
    expect(Number(match![1])).toBe(Math.floor(g.clock.now() / 1000));
    expect(match![2]).toBe(createHmac('sha256', h.secret).update(`${match![1]}.${body}`).digest('hex'));
    expect(headers['content-type']).toBe('application/json');
  });

  it('retries on the schedule after failures and gives up after the last wait', async () => {
    const h = await hook(['*'], [500, 503, 500]);
    await pendingHost();
    await settle();
    const schedule = [10_000, 30_000];
    await g.webhooks.processDue({ schedule });
    let [d] = ((await call('webhooks.deliveries', { id: h.id })) as { deliveries: Record<string, unknown>[] })
      .deliveries;
    expect(d).toMatchObject({ state: 'pending', attempts: 1, last_status: 500 });
    expect(d!.next_attempt_at).toBe(new Date(g.clock.now() + 10_000).toISOString());
    expect(String(d!.last_error)).toContain('HTTP 500');
    expect(typeof d!.response_ms).toBe('number');
    await g.webhooks.processDue({ schedule }); // not due yet
    expect(h.received).toHaveLength(1);
    g.clock.advance(10_000);
    await g.webhooks.processDue({ schedule });
    g.clock.advance(30_000);
    await g.webhooks.processDue({ schedule });
    [d] = ((await call('webhooks.deliveries', { id: h.id })) as { deliveries: Record<string, unknown>[] }).deliveries;
    expect(d).toMatchObject({ state: 'failed', attempts: 3, last_status: 500, next_attempt_at: null });
    g.clock.advance(3_600_000);
    await g.webhooks.processDue({ schedule });
    expect(h.received).toHaveLength(3);
    // Every attempt carried the same delivery id and body.
    expect(new Set(h.received.map((r) => r.body)).size).toBe(1);
  });

  it('does not follow a redirect', async () => {
    const h = await hook(['*'], [302]);
    await pendingHost();
    await settle();
    await g.webhooks.processDue({ schedule: [] });
    const [d] = ((await call('webhooks.deliveries', { id: h.id })) as { deliveries: Record<string, unknown>[] })
      .deliveries;
    expect(d).toMatchObject({ state: 'failed', last_status: 302 });
    expect(String(d!.last_error)).toContain('redirects are not followed');
    expect(h.received).toHaveLength(1);
  });

  it('gives up on a receiver that does not answer within the timeout', async () => {
    const h = await hook(['*'], ['hang']);
    await pendingHost();
    await settle();
    await g.webhooks.processDue({ schedule: [], timeoutMs: 300 });
    const [d] = ((await call('webhooks.deliveries', { id: h.id })) as { deliveries: Record<string, unknown>[] })
      .deliveries;
    expect(d).toMatchObject({ state: 'failed', last_status: null });
    expect(String(d!.last_error)).toContain('no answer within');
  });

  it('sends a test event now and answers its log entry', async () => {
    const h = await hook(['host.pending'], [404]);
    const failed = (await call('webhooks.test', { id: h.id })) as Record<string, unknown>;
    expect(failed).toMatchObject({ event: 'webhook.test', state: 'failed', attempts: 1, last_status: 404 });
    const ok = (await call('webhooks.test', { id: h.id })) as Record<string, unknown>;
    expect(ok).toMatchObject({ event: 'webhook.test', state: 'delivered', attempts: 1, last_status: 200 });
    expect(h.received).toHaveLength(2);
  });

  it('claims a due delivery once when two senders race for it', async () => {
    const h = await hook(['*']);
    await pendingHost();
    await settle();
    const [a, b] = await Promise.all([g.webhooks.processDue(), g.webhooks.processDue()]);
    expect(a + b).toBe(1);
    expect(h.received).toHaveLength(1);
  });
});

describe('a site without webhooks', () => {
  it('costs a registration one read of the webhook table and nothing more', async () => {
    const { makeGatehouse } = await import('../../../helpers/gatehouse');
    const g = await makeGatehouse();
    try {
      const t = await g.tokens.create({ expires_in_hours: 1, max_uses: 0 }, 'admin');
      const host = await g.enrolment.register(
        { token: t.token, hostname: 'quiet-1', machine_id: 'machine-quiet-1' },
        '10.0.0.1',
      );
      const reads = vi.spyOn(g.store, 'read');
      expect(await g.webhooks.enqueueFromEvent({ topic: 'hosts', action: 'registered', ids: [host.host_id] })).toBe(0);
      expect(reads).toHaveBeenCalledTimes(1);
    } finally {
      await g.dispose();
    }
  });
});
