import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGatehouse, type Gatehouse } from '../../src/main/core/gatehouse';
import { startWebhookDelivery } from '../../src/main/core/services/webhook-delivery';
import type { CreatedToken } from '../../src/shared/domain';
import { registration, silentLogger, startTestServer, type TestServer } from '../helpers/gatehouse';

const FIVE_MINUTES = 300;

/**
 * A receiver written the way an integrator would: recompute the HMAC over "<t>.<body>",
 * refuse a timestamp more than 5 minutes old and a delivery id already accepted, and
 * answer the planned statuses first (to force retries).
 */
async function signedReceiver(secretOf: () => string, plan: number[] = []) {
  const accepted: { id: string; event: string; body: string; at: number; headers: Record<string, unknown> }[] = [];
  const refused: string[] = [];
  let attempts = 0;
  const seen = new Set<string>();
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      attempts++;
      const header = String(req.headers['gatehouse-signature'] ?? '');
      const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
      const refuse = (why: string) => {
        refused.push(why);
        res.writeHead(400).end(why);
      };
      if (!match) return refuse('no signature');
      const expected = createHmac('sha256', secretOf()).update(`${match[1]}.${body}`).digest();
      if (!timingSafeEqual(expected, Buffer.from(match[2]!, 'hex'))) return refuse('bad signature');
      if (Math.floor(Date.now() / 1000) - Number(match[1]) > FIVE_MINUTES) return refuse('stale timestamp');
      const id = String(req.headers['gatehouse-delivery'] ?? (JSON.parse(body) as { id?: string }).id);
      if (seen.has(id)) return refuse('replayed id');
      const planned = plan.shift();
      if (planned !== undefined) return void res.writeHead(planned).end('not now');
      seen.add(id);
      accepted.push({
        id,
        event: String(req.headers['gatehouse-event']),
        body,
        at: performance.now(),
        headers: { ...req.headers },
      });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/gatehouse`,
    accepted,
    refused,
    attempts: () => attempts,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function until(check: () => boolean, what: string, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`waited for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A core on a real store with the real clock, as a process would run it. */
async function openCore(dir: string, key: Buffer): Promise<Gatehouse> {
  const core = await createGatehouse({ databaseFile: join(dir, 'gatehouse.db'), secretKey: key });
  core.setEndpoint({ lanUrl: 'https://192.0.2.10:7443', tlsFingerprint: 'AAAAtestpin=' });
  return core;
}

const FAST = { schedule: [100, 200, 400, 800], pollMs: 50, checkMs: 60_000 };

describe('signed deliveries from a running core', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-webhooks-'));
  const key = randomBytes(32);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('delivers signed events, retries after 500s, and a receiver refuses the replayed and the stale', async () => {
    let secret = '';
    const rx = await signedReceiver(() => secret, [500, 500]);
    const core = await openCore(dir, key);
    const stop = startWebhookDelivery(core, silentLogger, FAST);
    try {
      const ctx = { actor: 'alice', scope: 'admin' as const };
      secret = (await core.handlers['webhooks.create']({ url: rx.url, events: ['host.pending', 'host.approved'] }, ctx))
        .secret;
      const token = (await core.handlers['tokens.create']({ expires_in_hours: 1, max_uses: 0 }, ctx)) as CreatedToken;

      const started = performance.now();
      const { host_id } = (await core.enrolment.register(registration(token.token) as never, '10.1.1.1')) as {
        host_id: string;
      };
      await until(() => rx.accepted.length === 1, 'the host.pending delivery');
      const withRetries = rx.accepted[0]!.at - started;
      expect(rx.attempts()).toBe(3); // 500, 500, then accepted
      expect(rx.accepted[0]!.event).toBe('host.pending');

      const approvedAt = performance.now();
      await core.handlers['hosts.approve']({ id: host_id }, ctx);
      await until(() => rx.accepted.length === 2, 'the host.approved delivery');
      const latency = rx.accepted[1]!.at - approvedAt;
      expect(JSON.parse(rx.accepted[1]!.body)).toMatchObject({
        event: 'host.approved',
        data: { host: { id: host_id } },
      });
      console.log(
        `webhook latency: approval → receiver ${latency.toFixed(1)} ms; registration → receiver through 2 retries ` +
          `(schedule ${FAST.schedule.slice(0, 2).join(' + ')} ms) ${withRetries.toFixed(0)} ms; attempts seen ${rx.attempts()}`,
      );

      const log = await core.handlers['webhooks.deliveries']({ id: (await core.webhooks.list()).webhooks[0]!.id }, ctx);
      const pending = log.deliveries.find((d) => d.event === 'host.pending')!;
      expect(pending).toMatchObject({ state: 'delivered', attempts: 3, last_status: 204, last_error: null });
      expect(pending.response_ms).not.toBeNull();

      // Replays of a captured delivery: the same bytes again, and the same body re-signed with an old time.
      const captured = rx.accepted[1]!;
      const again = await fetch(rx.url, {
        method: 'POST',
        body: captured.body,
        headers: {
          'Content-Type': 'application/json',
          'Gatehouse-Signature': String(captured.headers['gatehouse-signature']),
          'Gatehouse-Delivery': String(captured.headers['gatehouse-delivery']),
        },
      });
      expect(again.status).toBe(400);
      const old = Math.floor(Date.now() / 1000) - 301;
      const stale = await fetch(rx.url, {
        method: 'POST',
        body: captured.body,
        headers: {
          'Gatehouse-Signature': `t=${old},v1=${createHmac('sha256', secret).update(`${old}.${captured.body}`).digest('hex')}`,
          'Gatehouse-Delivery': 'another-id',
        },
      });
      expect(stale.status).toBe(400);
      const forged = await fetch(rx.url, {
        method: 'POST',
        body: captured.body.replace('host.approved', 'host.rejected'),
        headers: { 'Gatehouse-Signature': String(captured.headers['gatehouse-signature']), 'Gatehouse-Delivery': 'x' },
      });
      expect(forged.status).toBe(400);
      expect(rx.refused).toEqual(['replayed id', 'stale timestamp', 'bad signature']);
      expect(rx.accepted).toHaveLength(2);
    } finally {
      stop();
      await core.close();
      await rx.close();
    }
  });

  it('picks up deliveries left pending when the process stopped', async () => {
    const ownDir = mkdtempSync(join(tmpdir(), 'gatehouse-webhooks-restart-'));
    let secret = '';
    const ctx = { actor: 'alice', scope: 'admin' as const };
    // First run: the receiver is down, so the event stays queued with its retry ahead.
    const down = await signedReceiver(() => secret);
    const url = down.url;
    await down.close();
    let core = await openCore(ownDir, key);
    let stop = startWebhookDelivery(core, silentLogger, { ...FAST, schedule: [60_000] });
    const hook = await core.handlers['webhooks.create']({ url, events: ['host.pending'] }, ctx);
    secret = hook.secret;
    const token = (await core.handlers['tokens.create']({ expires_in_hours: 1, max_uses: 0 }, ctx)) as CreatedToken;
    await core.enrolment.register(registration(token.token) as never, '10.1.1.2');
    let deliveries: { state: string; attempts: number; last_error: string | null }[] = [];
    const deadline = Date.now() + 10_000;
    while (!deliveries.some((d) => d.attempts >= 1) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      deliveries = (await core.handlers['webhooks.deliveries']({ id: hook.id }, ctx)).deliveries;
    }
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]).toMatchObject({ state: 'pending', attempts: 1, last_error: 'ECONNREFUSED' });
    stop();
    await core.close();

    // Second run, same store and key, receiver back on the port the webhook names.
    const back = await signedReceiverOn(Number(new URL(url).port), () => secret);
    core = await openCore(ownDir, key);
    // Due now: the test does not wait out the first run's 60 s retry.
    await deliveriesDue(core);
    stop = startWebhookDelivery(core, silentLogger, FAST);
    try {
      await until(() => back.accepted.length === 1, 'the delivery queued before the restart');
      expect(back.accepted[0]!.event).toBe('host.pending');
      let after = (await core.handlers['webhooks.deliveries']({ id: hook.id }, ctx)).deliveries[0];
      for (let i = 0; i < 100 && after?.state !== 'delivered'; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        after = (await core.handlers['webhooks.deliveries']({ id: hook.id }, ctx)).deliveries[0];
      }
      expect(after).toMatchObject({ state: 'delivered', attempts: 2 });
    } finally {
      stop();
      await core.close();
      await back.close();
      rmSync(ownDir, { recursive: true, force: true });
    }
  });
});

/** Moves every pending delivery's next attempt to now (the retry wait has passed). */
async function deliveriesDue(core: Gatehouse): Promise<void> {
  await core.store.write(async (tx) => {
    for (const hook of await tx.webhooks.list()) {
      for (const d of await tx.webhooks.deliveries(hook.id, 100)) {
        if (d.state === 'pending') {
          await tx.webhooks.recordAttempt(d.id, {
            attempt: d.attempt,
            state: 'pending',
            nextAttemptAt: 0,
            status: d.last_status,
            error: d.last_error,
            durationMs: d.last_duration_ms,
            deliveredAt: null,
          });
        }
      }
    }
  });
}

async function signedReceiverOn(port: number, secretOf: () => string) {
  const accepted: { event: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(req.headers['gatehouse-signature']));
      const ok =
        match !== null && createHmac('sha256', secretOf()).update(`${match[1]}.${body}`).digest('hex') === match[2];
      if (ok) accepted.push({ event: String(req.headers['gatehouse-event']) });
      res.writeHead(ok ? 204 : 400).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    accepted,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('the webhooks API over HTTP', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.dispose());

  it('creates a webhook with 201 {id, secret}, lists it without the secret, and deletes it', async () => {
    const created = await server.admin('/api/admin/webhooks', {
      json: { url: 'https://hooks.slack.com/services/T0/B0/XXXX', events: ['host.pending', 'alarm'], preset: 'slack' },
    });
    expect(created.status).toBe(201);
    const body = (await created.json()) as { id: string; secret: string };
    expect(body.secret).toMatch(/^whsec_/);
    const list = (await (await server.admin('/api/admin/webhooks')).json()) as { webhooks: unknown[] };
    expect(JSON.stringify(list)).not.toContain(body.secret);
    expect(list.webhooks).toHaveLength(1);
    const log = await server.admin(`/api/admin/webhooks/${body.id}/deliveries`);
    expect(await log.json()).toEqual({ deliveries: [] });
    expect((await server.admin(`/api/admin/webhooks/${body.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await server.admin(`/api/admin/webhooks/${body.id}/deliveries`)).status).toBe(404);
  });

  it('refuses a non-http(s) URL and an unknown preset with 400 naming the field', async () => {
    for (const [json, field] of [
      [{ url: 'gopher://example.test/', events: ['*'] }, 'url'],
      [{ url: 'http://example.test/', events: ['*'], preset: 'irc' }, 'preset'],
      [{ url: 'http://example.test/', events: [] }, 'events'],
    ] as const) {
      const res = await server.admin('/api/admin/webhooks', { json });
      expect(res.status).toBe(400);
      const error = ((await res.json()) as { error: { code: string; message: string } }).error;
      expect(error.code).toBe('VALIDATION_FAILED');
      expect(error.message).toContain(field);
    }
  });
});
