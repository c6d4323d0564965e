import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { registration } from '../helpers/gatehouse';
import { histogram, httpRequest, jsonOf } from '../helpers/http-client';
import { removeDir, startServeProcess, type ServeProcess } from '../helpers/serve-process';

const ATTEMPTS = 2_000;
const CONCURRENCY = 50;
const KILLS = 5;
/** Several tokens whose uses add up to fewer than the attempts, so most of them run out mid-storm. */
const TOKENS = [
  { max_uses: 350, auto_approve: false },
  { max_uses: 350, auto_approve: true },
  { max_uses: 300, auto_approve: false },
  { max_uses: 250, auto_approve: true },
  { max_uses: 100, auto_approve: false },
];

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-crash-'));
let server: ServeProcess | undefined;
afterAll(async () => {
  await server?.stop('SIGKILL');
  removeDir(dir);
});

/** Each attempt comes from its own loopback address, so refusals for exhausted tokens never trip the limiter. */
const sourceOf = (i: number) => `127.1.${Math.floor(i / 250)}.${(i % 250) + 1}`;

describe('crash safety under kill -9', () => {
  it('keeps every acknowledged registration and exact use counts through five kill -9s in a storm of 2,000', async () => {
    const started = Date.now();
    server = await startServeProcess(['--http'], dir);
    const tokens: { id: string; token: string; max_uses: number }[] = [];
    for (const spec of TOKENS) {
      const res = await server.admin('/api/admin/registration-tokens', { json: { expires_in_hours: 2, ...spec } });
      expect(res.status).toBe(201);
      const body = (await res.json()) as { id: string; token: string };
      tokens.push({ id: body.id, token: body.token, max_uses: spec.max_uses });
    }

    // Kill moments: after this many attempts have settled, chosen at random across the storm.
    const killAt = Array.from({ length: KILLS }, () => Math.floor(ATTEMPTS * (0.05 + Math.random() * 0.85))).sort(
      (a, b) => a - b,
    );
    let lanUrl = server.endpoint.lan_url;
    let up: Promise<void> = Promise.resolve();
    let kills = 0;
    let settled = 0;
    let restarting: Promise<void> | undefined;

    async function crashAndRestart(): Promise<void> {
      const victim = server!;
      let markUp!: () => void;
      up = new Promise((resolve) => (markUp = resolve));
      const exited = new Promise((resolve) => victim.child.once('exit', resolve));
      process.kill(victim.endpoint.pid, 'SIGKILL');
      kills++;
      await exited;
      // Same data directory: the dead process's lock must be taken over.
      server = await startServeProcess(['--http'], dir);
      lanUrl = server.endpoint.lan_url;
      markUp();
    }

    const acknowledged = new Map<string, number>(); // host_id → token index
    const outcomes: string[] = [];
    let connectionErrors = 0;

    async function attempt(i: number): Promise<void> {
      const t = i % tokens.length;
      const body = registration(tokens[t]!.token, {
        hostname: `storm-${i}`,
        machine_id: `storm-machine-${i}-${randomBytes(4).toString('hex')}`,
      });
      const key = `crash-${i}-${randomBytes(6).toString('hex')}`;
      for (let tries = 0; tries < 12; tries++) {
        await up;
        try {
          const answer = await httpRequest(`${lanUrl}/api/hosts/register`, {
            json: body,
            headers: { 'Idempotency-Key': key },
            localAddress: sourceOf(i),
            timeoutMs: 30_000,
          });
          const code = (jsonOf(answer) as { error?: { code?: string } } | undefined)?.error?.code;
          outcomes.push(code ? `${answer.status} ${code}` : String(answer.status));
          if (answer.status === 201) {
            const host = jsonOf(answer) as { host_id: string };
            const earlier = acknowledged.get(host.host_id);
            expect(earlier === undefined || earlier === t).toBe(true);
            acknowledged.set(host.host_id, t);
            return;
          }
          if (answer.status === 503) {
            await new Promise((r) => setTimeout(r, 200));
            continue;
          }
          return;
        } catch {
          // The server died under this request: retry with the same Idempotency-Key once it is back.
          connectionErrors++;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      outcomes.push('gave up');
    }

    let next = 0;
    const worker = async () => {
      while (next < ATTEMPTS) {
        await attempt(next++);
        settled++;
        if (!restarting && kills < KILLS && settled >= killAt[kills]!) {
          restarting = crashAndRestart().finally(() => (restarting = undefined));
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    await restarting;
    const stormSeconds = (Date.now() - started) / 1000;

    // The admin API's view: use_count equals the hosts that used the token, never above max_uses.
    const counts: string[] = [];
    for (const [t, token] of tokens.entries()) {
      const res = await server!.admin(`/api/admin/registration-tokens/${token.id}`);
      const body = (await res.json()) as { use_count: number; used_by_nodes: { host_id: string }[] };
      const ackedHere = [...acknowledged.values()].filter((x) => x === t).length;
      counts.push(`${body.use_count}/${token.max_uses} (${ackedHere} acked)`);
      expect(body.use_count).toBe(body.used_by_nodes.length);
      expect(body.use_count).toBeLessThanOrEqual(token.max_uses);
      for (const [hostId, ti] of acknowledged)
        if (ti === t) expect(body.used_by_nodes.map((n) => n.host_id)).toContain(hostId);
    }
    await server!.stop('SIGTERM');
    server = undefined;

    // The file itself, opened read-only after the run.
    const db = new Database(join(dir, 'gatehouse.db'), { readonly: true });
    try {
      const hosts = db.prepare('SELECT id, token_id FROM hosts').all() as { id: string; token_id: string }[];
      const stored = new Map(hosts.map((h) => [h.id, h.token_id]));
      const missing = [...acknowledged.keys()].filter((id) => !stored.has(id));
      const phantoms = hosts.filter((h) => !acknowledged.has(h.id));
      const rows = db.prepare('SELECT id, use_count, max_uses FROM registration_tokens').all() as {
        id: string;
        use_count: number;
        max_uses: number;
      }[];
      console.log(
        `crash safety: ${ATTEMPTS} attempts at concurrency ${CONCURRENCY}, ${acknowledged.size} acknowledged, ` +
          `${acknowledged.size - missing.length} present, ${phantoms.length} stored but never acknowledged, ` +
          `${kills} kill -9s (after ${killAt.join(', ')} settled), ${connectionErrors} connection errors retried, ` +
          `${stormSeconds.toFixed(1)} s; answers ${JSON.stringify(histogram(outcomes))}; ` +
          `token uses ${rows.map((r) => `${r.use_count}/${r.max_uses}`).join(', ')}`,
      );
      expect(kills).toBe(KILLS);
      expect(missing).toEqual([]);
      expect(outcomes).not.toContain('gave up');
      // A request retried with its Idempotency-Key after a crash never leaves a second host behind.
      expect(phantoms).toEqual([]);
      for (const row of rows) {
        const used = hosts.filter((h) => h.token_id === row.id).length;
        expect(row.use_count).toBe(used);
        expect(row.use_count).toBeLessThanOrEqual(row.max_uses);
      }
      // Most tokens ran out: the limit was exercised, not merely approached.
      expect(rows.filter((r) => r.use_count === r.max_uses).length).toBeGreaterThanOrEqual(3);
    } finally {
      db.close();
    }
  }, 170_000);
});
