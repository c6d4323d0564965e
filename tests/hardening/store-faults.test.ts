import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/main/core/db/connection';
import { registration, startTestServer, type TestServer } from '../helpers/gatehouse';
import { contractErrorProblem, histogram, httpRequest, jsonOf, type Answer } from '../helpers/http-client';

let server: TestServer;
let token: string;
let hosts: { id: string; credential: string }[];

/** The SQLite store's write connection, the one the faults are set on. */
const writer = () => (server.gatehouse.store as unknown as { writer: Db }).writer;
const dbPath = () => join(server.dir, 'gatehouse.db');

beforeEach(async () => {
  server = await startTestServer();
  const res = await server.admin('/api/admin/registration-tokens', {
    json: { expires_in_hours: 1, max_uses: 0, auto_approve: true },
  });
  token = ((await res.json()) as { token: string }).token;
  hosts = [];
  for (let i = 0; i < 8; i++) {
    const reg = await register();
    expect(reg.status).toBe(201);
    const body = jsonOf(reg) as { host_id: string; host_token: string; status: string };
    expect(body.status).toBe('APPROVED');
    hosts.push({ id: body.host_id, credential: body.host_token });
    expect((await beat(hosts[i]!.credential)).status).toBe(204);
  }
});
afterEach(async () => server.dispose());

const register = () =>
  httpRequest(`${server.endpoint.lan_url}/api/hosts/register`, { json: registration(token), timeoutMs: 10_000 });
const beat = (credential: string) =>
  httpRequest(`${server.endpoint.lan_url}/api/hosts/heartbeat`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${credential}` },
    timeoutMs: 10_000,
  });

interface Tally {
  answers: string[];
  acknowledged: string[];
  problems: string[];
  /** The slowest answer per kind of request, in ms. */
  slowest: Record<string, number>;
}

const newTally = (): Tally => ({ answers: [], acknowledged: [], problems: [], slowest: {} });

/** Sends one request, and notes its answer: a 201's host id, a 503's contract shape and Retry-After. */
async function noted(tally: Tally, label: string, call: () => Promise<Answer>): Promise<void> {
  const started = Date.now();
  let answer: Answer;
  try {
    answer = await call();
  } catch (error) {
    tally.answers.push(`${label} ${(error as Error).message}`);
    tally.problems.push(`${label}: ${(error as Error).message}`);
    return;
  }
  tally.slowest[label] = Math.max(tally.slowest[label] ?? 0, Date.now() - started);
  const code = (jsonOf(answer) as { error?: { code?: string } } | undefined)?.error?.code;
  tally.answers.push(`${label} ${answer.status}${code ? ` ${code}` : ''}`);
  if (answer.status === 201 && label === 'register')
    tally.acknowledged.push((jsonOf(answer) as { host_id: string }).host_id);
  if (answer.status >= 400) {
    const problem = contractErrorProblem(answer);
    if (problem) tally.problems.push(`${label}: ${problem}`);
  }
  if (answer.status === 503 && !(Number(answer.headers['retry-after']) > 0)) {
    tally.problems.push(`${label}: 503 without Retry-After`);
  }
}

/** Hosts' last_seen_at as stored in the file (not the in-memory view the API merges in). */
function storedLastSeen(): Map<string, number | null> {
  const db = new Database(dbPath(), { readonly: true });
  try {
    const rows = db.prepare('SELECT id, last_seen_at FROM hosts').all() as {
      id: string;
      last_seen_at: number | null;
    }[];
    return new Map(rows.map((r) => [r.id, r.last_seen_at]));
  } finally {
    db.close();
  }
}

/** Flushes until no heartbeat waits in memory (a background flush may be mid-retry). */
async function drainHeartbeats(): Promise<void> {
  for (let i = 0; i < 50 && server.gatehouse.heartbeats.backlog > 0; i++) {
    await server.gatehouse.heartbeats.flush().catch(() => 0);
    await new Promise((r) => setTimeout(r, 50));
  }
  expect(server.gatehouse.heartbeats.backlog).toBe(0);
}

function storedHostIds(): Set<string> {
  return new Set(storedLastSeen().keys());
}

/** After a fault clears: registrations, heartbeats and an admin decision all work again. */
async function expectNormalService(): Promise<void> {
  const reg = await register();
  expect(reg.status).toBe(201);
  expect((await beat(hosts[0]!.credential)).status).toBe(204);
  const pending = await server.admin('/api/admin/registration-tokens', {
    json: { expires_in_hours: 1, max_uses: 1 },
  });
  expect(pending.status).toBe(201);
  const res = await server.admin(`/api/admin/hosts/${hosts[1]!.id}/disable`, { method: 'POST' });
  expect(res.status).toBe(200);
}

describe('store faults against a running server', () => {
  it('a write lock held by another connection for 15 s: 503 STORE_UNAVAILABLE for writes, heartbeats 204 and none lost', async () => {
    // A host approved just before the fault that has never beaten: its first beat wants a flush.
    const fresh = jsonOf(await register()) as { host_id: string; host_token: string };
    const beating = [...hosts, { id: fresh.host_id, credential: fresh.host_token }];
    // A registration whose answer is lost to the fault is retried later with its Idempotency-Key.
    const keyed = registration(token);
    const key = `store-fault-${Date.now()}`;
    const registerKeyed = () =>
      httpRequest(`${server.endpoint.lan_url}/api/hosts/register`, {
        json: keyed,
        headers: { 'Idempotency-Key': key },
        timeoutMs: 10_000,
      });
    const other = new Database(dbPath());
    other.exec('BEGIN IMMEDIATE');
    const tally = newTally();
    const lastBeatSent = new Map<string, number>();
    const started = Date.now();
    await noted(tally, 'register', registerKeyed);
    try {
      // Writers and beating hosts run side by side, each at its own pace, for the whole 15 s.
      const during = () => Date.now() - started < 15_000;
      const writers = async () => {
        while (during()) {
          const wave = [0, 1, 2].map(() => noted(tally, 'register', register));
          wave.push(noted(tally, 'admin token', () => httpAdminCreateToken()));
          await Promise.all([...wave, new Promise((r) => setTimeout(r, 500))]);
        }
      };
      const beaters = async () => {
        while (during()) {
          const wave = beating.map((host) => {
            lastBeatSent.set(host.id, Date.now());
            return noted(tally, 'heartbeat', () => beat(host.credential));
          });
          // Reads never wait for the writer: the admin's lists and a host's own record answer.
          wave.push(noted(tally, 'admin read', () => adminGet('/api/admin/hosts?limit=5')));
          wave.push(noted(tally, 'me', () => hostGet(hosts[0]!.credential, '/api/hosts/me')));
          await Promise.all([...wave, new Promise((r) => setTimeout(r, 1_000))]);
        }
      };
      await Promise.all([writers(), beaters()]);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    console.log(
      `write lock held 15 s: ${JSON.stringify(histogram(tally.answers))}; slowest answers (ms) ${JSON.stringify(tally.slowest)}; ` +
        `${server.gatehouse.heartbeats.backlog} heartbeats waiting in memory at release`,
    );
    expect(tally.problems).toEqual([]);
    expect(tally.answers.filter((a) => a.startsWith('heartbeat')).every((a) => a === 'heartbeat 204')).toBe(true);
    expect(tally.answers).toContain('register 503 STORE_UNAVAILABLE');
    expect(tally.answers.some((a) => a.startsWith('register 5') && a !== 'register 503 STORE_UNAVAILABLE')).toBe(false);
    expect(tally.answers.filter((a) => /^(admin read|me) /.test(a)).every((a) => a.endsWith(' 200'))).toBe(true);

    await drainHeartbeats();
    const stored = storedLastSeen();
    for (const host of beating) expect(stored.get(host.id)).toBeGreaterThanOrEqual(lastBeatSent.get(host.id)!);
    // The refused registration, sent again with its key, enrols once.
    const retried = await registerKeyed();
    expect(retried.status).toBe(201);
    const again = await registerKeyed();
    expect((jsonOf(again) as { host_id: string }).host_id).toBe((jsonOf(retried) as { host_id: string }).host_id);
    await expectNormalService();
  }, 60_000);

  it('a full database: writes answer 503, nothing acknowledged is lost, and writes work once there is room', async () => {
    const db = writer();
    const pages = db.pragma('page_count', { simple: true }) as number;
    db.pragma(`max_page_count = ${pages + 2}`);
    const tally = newTally();
    const lastBeatSent = new Map<string, number>();
    try {
      for (let round = 0; round < 6; round++) {
        const wave: Promise<void>[] = [];
        for (let i = 0; i < 10; i++) wave.push(noted(tally, 'register', register));
        for (const host of hosts) {
          lastBeatSent.set(host.id, Date.now());
          wave.push(noted(tally, 'heartbeat', () => beat(host.credential)));
        }
        wave.push(noted(tally, 'admin token', () => httpAdminCreateToken()));
        await Promise.all(wave);
        await server.gatehouse.heartbeats.flush().catch(() => 0);
      }
    } finally {
      console.log(`full database (max_page_count ${pages + 2}): ${JSON.stringify(histogram(tally.answers))}`);
      db.pragma(`max_page_count = ${pages * 1000}`);
    }
    expect(tally.problems).toEqual([]);
    expect(tally.answers).toContain('register 503 STORE_UNAVAILABLE');
    expect(tally.answers.filter((a) => a.startsWith('heartbeat')).every((a) => a === 'heartbeat 204')).toBe(true);
    const stored = storedHostIds();
    for (const id of tally.acknowledged) expect(stored.has(id)).toBe(true);
    await drainHeartbeats();
    const seen = storedLastSeen();
    for (const host of hosts) expect(seen.get(host.id)).toBeGreaterThanOrEqual(lastBeatSent.get(host.id)!);
    await expectNormalService();
  });

  it('a read-only database: writes answer 503, then it recovers', async () => {
    const db = writer();
    db.pragma('query_only = ON');
    const tally = newTally();
    try {
      const wave: Promise<void>[] = [];
      for (let i = 0; i < 10; i++) wave.push(noted(tally, 'register', register));
      for (const host of hosts) wave.push(noted(tally, 'heartbeat', () => beat(host.credential)));
      wave.push(noted(tally, 'admin token', () => httpAdminCreateToken()));
      wave.push(noted(tally, 'admin disable', () => adminPost(`/api/admin/hosts/${hosts[2]!.id}/disable`)));
      await Promise.all(wave);
    } finally {
      console.log(`read-only database: ${JSON.stringify(histogram(tally.answers))}`);
      db.pragma('query_only = OFF');
    }
    expect(tally.problems).toEqual([]);
    expect(
      tally.answers.filter((a) => a.startsWith('register')).every((a) => a === 'register 503 STORE_UNAVAILABLE'),
    ).toBe(true);
    expect(tally.answers).toContain('admin token 503 STORE_UNAVAILABLE');
    expect(tally.answers.filter((a) => a.startsWith('heartbeat')).every((a) => a === 'heartbeat 204')).toBe(true);
    await drainHeartbeats();
    await expectNormalService();
  });
});

function httpAdminCreateToken(): Promise<Answer> {
  return httpRequest(`${server.endpoint.admin_url}/api/admin/registration-tokens`, {
    json: { expires_in_hours: 1, max_uses: 5 },
    headers: { Authorization: `Bearer ${server.adminToken}` },
    timeoutMs: 10_000,
  });
}

function adminPost(path: string): Promise<Answer> {
  return httpRequest(`${server.endpoint.admin_url}${path}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${server.adminToken}` },
    timeoutMs: 10_000,
  });
}

function adminGet(path: string): Promise<Answer> {
  return httpRequest(`${server.endpoint.admin_url}${path}`, {
    headers: { Authorization: `Bearer ${server.adminToken}` },
    timeoutMs: 10_000,
  });
}

function hostGet(credential: string, path: string): Promise<Answer> {
  return httpRequest(`${server.endpoint.lan_url}${path}`, {
    headers: { Authorization: `Bearer ${credential}` },
    timeoutMs: 10_000,
  });
}
