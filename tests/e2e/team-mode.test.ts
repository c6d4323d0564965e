import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import type { TLSSocket } from 'node:tls';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type PostgresCluster } from '../helpers/postgres';
import { registration } from '../helpers/gatehouse';
import { removeDir, startServeProcess, type ServeProcess } from '../helpers/serve-process';

let cluster: PostgresCluster;
let keyFile: string;
const keyDir = mkdtempSync(join(tmpdir(), 'gatehouse-team-key-'));
const running: ServeProcess[] = [];

beforeAll(async () => {
  cluster = await startPostgres();
  keyFile = join(keyDir, 'secret.key');
  writeFileSync(keyFile, randomBytes(32).toString('base64') + '\n', { mode: 0o600 });
}, 60_000);

afterAll(async () => {
  for (const server of running) {
    await server.stop('SIGKILL').catch(() => {});
    removeDir(server.dir);
  }
  await cluster?.stop();
  rmSync(keyDir, { recursive: true, force: true });
});

/** `npm run serve` on a shared PostgreSQL store, LAN over plain HTTP on loopback. */
async function teamServer(url: string, extra: string[] = []): Promise<ServeProcess> {
  const server = await startServeProcess(['--http', '--store', url, '--secret-key-file', keyFile, ...extra]);
  running.push(server);
  return server;
}

async function json<T>(response: Response | Promise<Response>): Promise<T> {
  const r = await response;
  const text = await r.text();
  if (!r.ok) throw new Error(`${r.status}: ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

const createToken = (server: ServeProcess, body: Record<string, unknown>) =>
  json<{ id: string; token: string }>(
    server.admin('/api/admin/registration-tokens', { json: { expires_in_hours: 4, ...body } }),
  );

const register = (server: ServeProcess, token: string) =>
  fetch(`${server.endpoint.lan_url}/api/hosts/register`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(registration(token)),
  });

async function rows<T>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

/** `count` registrations, `concurrency` at a time, spread round-robin over the servers. */
async function storm(servers: ServeProcess[], token: string, count: number, concurrency: number) {
  const statuses: number[] = [];
  const acked: { server: number; host_id: string }[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        const which = i % servers.length;
        try {
          const r = await register(servers[which]!, token);
          statuses.push(r.status);
          if (r.status === 201)
            acked.push({ server: which, host_id: ((await r.json()) as { host_id: string }).host_id });
          else await r.arrayBuffer();
        } catch {
          statuses.push(0); // the server went away mid-request
        }
      }
    }),
  );
  return { statuses, acked, seconds: (performance.now() - started) / 1000 };
}

describe('team mode: several `npm run serve` on one PostgreSQL database', () => {
  let url: string;
  let a: ServeProcess;
  let b: ServeProcess;

  beforeAll(async () => {
    url = await cluster.createDatabase();
    [a, b] = await Promise.all([teamServer(url), teamServer(url)]);
  }, 180_000);

  it('gives exactly 25 hosts for 500 concurrent registrations over both servers against a max_uses 25 token', async () => {
    // A pair of its own: 475 refusals put 127.0.0.1 over the per-address refusal limit of these two.
    const own = await cluster.createDatabase();
    const [c, d] = await Promise.all([teamServer(own), teamServer(own)]);
    const token = await createToken(c, { max_uses: 25 });
    const { statuses } = await storm([c, d], token.token, 500, 100);
    expect(statuses.filter((s) => s === 201)).toHaveLength(25);
    expect(statuses.every((s) => s === 201 || (s >= 400 && s < 500))).toBe(true);
    const [count] = await rows<{ n: string }>(own, 'SELECT count(*) AS n FROM hosts WHERE token_id = $1', [token.id]);
    expect(Number(count!.n)).toBe(25);
    const [tok] = await rows<{ use_count: number }>(own, 'SELECT use_count FROM registration_tokens WHERE id = $1', [
      token.id,
    ]);
    expect(tok!.use_count).toBe(25);
  }, 120_000);

  it('streams to an admin on one server the registrations made on the other', async () => {
    const token = await createToken(a, { max_uses: 0 });
    const controller = new AbortController();
    const stream = await fetch(`${a.endpoint.admin_url}/api/admin/events`, {
      headers: { Authorization: `Bearer ${a.adminToken}`, Accept: 'text/event-stream' },
      signal: controller.signal,
    });
    expect(stream.status).toBe(200);
    const reader = stream.body!.getReader();
    let text = '';
    await reader.read(); // the stream is open
    const sent = performance.now();
    const registered = (await json<{ host_id: string }>(register(b, token.token))).host_id;
    let latency = -1;
    while (!text.includes(registered)) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
      latency = performance.now() - sent;
    }
    controller.abort();
    expect(text).toContain(registered);
    console.log(`team mode: a registration on server B reached server A's event stream in ${latency.toFixed(0)} ms`);
  }, 60_000);

  it('measures registrations per second with one and with two servers', async () => {
    const token = await createToken(a, { max_uses: 0 });
    const one = await storm([a], token.token, 600, 40);
    const two = await storm([a, b], token.token, 600, 40);
    expect(one.statuses.filter((s) => s === 201)).toHaveLength(600);
    expect(two.statuses.filter((s) => s === 201)).toHaveLength(600);
    console.log(
      `team mode on PostgreSQL: ${(600 / one.seconds).toFixed(0)} registrations/s with one server, ` +
        `${(600 / two.seconds).toFixed(0)} with two (40 concurrent clients, loopback)`,
    );
  }, 120_000);

  it('keeps every registration a SIGKILLed server acknowledged, while the other server keeps serving', async () => {
    const c = await teamServer(url);
    const token = await createToken(b, { max_uses: 0 });
    let killed = false;
    const storming = storm([c, b], token.token, 800, 60);
    while (!killed) {
      const [n] = await rows<{ n: string }>(url, 'SELECT count(*) AS n FROM hosts WHERE token_id = $1', [token.id]);
      if (Number(n!.n) >= 150) {
        await c.stop('SIGKILL');
        killed = true;
      } else await new Promise((r) => setTimeout(r, 20));
    }
    const { acked, statuses } = await storming;
    const fromKilled = acked.filter((x) => x.server === 0).map((x) => x.host_id);
    expect(fromKilled.length).toBeGreaterThan(0);
    expect(statuses.some((s) => s === 0)).toBe(true); // some requests to c were cut off
    const stored = await rows<{ id: string }>(url, 'SELECT id FROM hosts WHERE id = ANY($1::text[])', [fromKilled]);
    expect(stored.map((r) => r.id).sort()).toEqual([...fromKilled].sort());
    // b still serves.
    expect((await register(b, token.token)).status).toBe(201);
    expect((await b.admin(`/api/admin/hosts/${fromKilled[0]}`)).status).toBe(200);
  }, 120_000);

  it('serves the admin API over HTTPS on --admin-bind to a named credential, and audits that name', async () => {
    const credential = await json<{ credential: string; name: string }>(
      a.admin('/api/admin/credentials', { json: { name: 'remote alice', scope: 'approver' } }),
    );
    const c = await teamServer(url, ['--admin-bind', '127.0.0.3']);
    expect(c.endpoint.admin_url).toMatch(/^https:\/\/127\.0\.0\.3:\d+$/);
    expect(c.endpoint.tls_fingerprint).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    const token = await createToken(a, { max_uses: 1 });
    const host = await json<{ host_id: string }>(register(a, token.token));

    /** HTTPS from 127.0.0.2, pinned to the server's public key. */
    const remote = (path: string, bearer: string, method = 'GET', localAddress = '127.0.0.2') =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const target = new URL(c.endpoint.admin_url + path);
        const req = request(
          {
            host: target.hostname,
            port: target.port,
            path: target.pathname,
            method,
            localAddress,
            rejectUnauthorized: false,
            headers: { Authorization: `Bearer ${bearer}`, 'Content-Type': 'application/json' },
          },
          (res) => {
            let body = '';
            res.on('data', (chunk) => (body += chunk));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          },
        );
        req.on('socket', (socket) =>
          socket.on('secureConnect', () => {
            const cert = (socket as TLSSocket).getPeerX509Certificate();
            const pin = cert
              ? createHash('sha256')
                  .update(cert.publicKey.export({ type: 'spki', format: 'der' }))
                  .digest('base64')
              : '';
            if (pin !== c.endpoint.tls_fingerprint) req.destroy(new Error('pin mismatch'));
          }),
        );
        req.on('error', reject);
        req.end(method === 'POST' ? '{}' : undefined);
      });

    // The data-dir admin token counts only from this machine's own loopback address.
    expect((await remote('/api/admin/hosts', c.adminToken)).status).toBe(401);
    expect((await remote('/api/admin/hosts', c.adminToken, 'GET', '127.0.0.1')).status).toBe(200);
    const approved = await remote(`/api/admin/hosts/${host.host_id}/approve`, credential.credential, 'POST');
    expect(approved.status).toBe(200);
    const audit = await json<{ entries: { actor: string; action: string; target_id: string }[] }>(
      a.admin(`/api/admin/audit?target_id=${host.host_id}`),
    );
    expect(audit.entries.find((e) => e.action === 'host.approved')?.actor).toBe('remote alice');
  }, 120_000);

  it('keeps the admin listener on 127.0.0.1 without --admin-bind', async () => {
    const adminUrl = new URL(a.endpoint.admin_url);
    expect(adminUrl.hostname).toBe('127.0.0.1');
    expect(adminUrl.protocol).toBe('http:');
    const refused = await fetch(`http://127.0.0.3:${adminUrl.port}/api/admin/hosts`).then(
      () => 'answered',
      (error: Error & { cause?: { code?: string } }) => error.cause?.code,
    );
    expect(refused).toBe('ECONNREFUSED');
  });
});
