import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../src/shared/domain';
import { auditToCsv } from '../../src/renderer/src/lib/audit-csv';
import { registration, startTestServer, type TestServer } from '../helpers/gatehouse';

let server: TestServer | undefined;
let logDir: string | undefined;
afterEach(async () => {
  await server?.dispose();
  server = undefined;
  if (logDir) rmSync(logDir, { recursive: true, force: true });
});

/** The forms a secret could be written in: as shown, compact, and a long random middle alone. */
function forms(secret: string): string[] {
  const compact = secret.replace(/-/g, '');
  return [secret, compact, compact.slice(4, 24)];
}

/** Every place a secret must never be: name → bytes (as latin1, so any byte sequence matches). */
type Haystacks = Record<string, string>;

function hits(secrets: string[], haystacks: Haystacks): string[] {
  const found: string[] = [];
  for (const secret of secrets) {
    for (const form of forms(secret)) {
      for (const [where, text] of Object.entries(haystacks)) {
        if (text.includes(form)) found.push(`${secret.slice(0, 8)}… in ${where}`);
      }
    }
  }
  return found;
}

describe('secrets at rest', () => {
  it('no token, host credential or admin credential ever issued appears in the database, WAL, log file or audit export', async () => {
    logDir = mkdtempSync(join(tmpdir(), 'gatehouse-log-'));
    const logFile = join(logDir, 'gatehouse.log');
    const destination = pino.destination({ dest: logFile, sync: true });
    server = await startTestServer({ logger: pino({ level: 'trace' }, destination) });
    const s = server;
    const secrets: string[] = [s.adminToken];
    const json = async <T>(res: Response, status: number): Promise<T> => {
      expect(res.status).toBe(status);
      return (await res.json()) as T;
    };

    // Named admin credentials: one used, one revoked, and a refused bearer that looks like one.
    const used = await json<{ id: string; credential: string }>(
      await s.admin('/api/admin/credentials', { json: { name: 'ci robot', scope: 'approver' } }),
      201,
    );
    const revoked = await json<{ id: string; credential: string }>(
      await s.admin('/api/admin/credentials', { json: { name: 'old laptop', scope: 'read-only' } }),
      201,
    );
    secrets.push(used.credential, revoked.credential);
    expect((await s.admin(`/api/admin/credentials/${revoked.id}`, { method: 'DELETE' })).status).toBe(204);
    const asRobot = (path: string, init: RequestInit = {}) =>
      fetch(s.endpoint.admin_url + path, { ...init, headers: { Authorization: `Bearer ${used.credential}` } });
    expect((await asRobot('/api/admin/hosts')).status).toBe(200);
    const refused = await fetch(s.endpoint.admin_url + '/api/admin/hosts', {
      headers: { Authorization: `Bearer ${revoked.credential}` },
    });
    expect(refused.status).toBe(401);

    for (let i = 0; i < 3; i++) {
      const token = await json<{ token: string; id: string; join_command: string; join_url: string }>(
        await s.admin('/api/admin/registration-tokens', { json: { expires_in_hours: 4, max_uses: 10 } }),
        201,
      );
      secrets.push(token.token);
      const body = registration(token.token);
      const key = `replay-key-${i}-abcdefgh`;
      const host = await json<{ host_token: string; host_id: string }>(
        await s.lan('/api/hosts/register', { json: body, headers: { 'Idempotency-Key': key } }),
        201,
      );
      secrets.push(host.host_token);
      // The same request again with its Idempotency-Key: the same host, and whatever credential it hands out.
      const replay = await json<{ host_token: string; host_id: string }>(
        await s.lan('/api/hosts/register', { json: body, headers: { 'Idempotency-Key': key } }),
        201,
      );
      expect(replay.host_id).toBe(host.host_id);
      secrets.push(replay.host_token);
      expect((await asRobot(`/api/admin/hosts/${host.host_id}/approve`, { method: 'POST' })).status).toBe(200);
      const rotated = await json<{ host_token: string }>(
        await s.lan('/api/hosts/credentials/rotate', {
          method: 'POST',
          headers: { Authorization: `Bearer ${host.host_token}` },
        }),
        200,
      );
      secrets.push(rotated.host_token);
      // The new credential's first use retires the old one.
      expect(
        (
          await s.lan('/api/hosts/heartbeat', {
            method: 'POST',
            headers: { Authorization: `Bearer ${rotated.host_token}` },
          })
        ).status,
      ).toBe(204);
      const revealed = await json<{ token: string }>(
        await s.admin(`/api/admin/registration-tokens/${token.id}/reveal`, { method: 'POST' }),
        200,
      );
      expect(revealed.token).toBe(token.token);
      // A registration refused with a secret-looking token, and a host bearer that is not one.
      await s.lan('/api/hosts/register', { json: registration(token.token.replace(/.$/, '0')) });
      await s.lan('/api/hosts/me', { headers: { Authorization: `Bearer ${host.host_token}x` } });
    }
    await s.gatehouse.heartbeats.flush();

    // The audit trail as an admin exports it: every page, and the CSV the admin UI saves.
    const entries: AuditEntry[] = [];
    let before: number | null | undefined;
    for (let page = 0; page < 100; page++) {
      const res = await s.admin(`/api/admin/audit?limit=7${before ? `&before=${before}` : ''}`);
      const body = await json<{ entries: AuditEntry[]; next_cursor: number | null }>(res, 200);
      entries.push(...body.entries);
      before = body.next_cursor;
      if (!before) break;
    }
    expect(entries.length).toBeGreaterThan(15);

    const dbPath = join(s.dir, 'gatehouse.db');
    expect(existsSync(`${dbPath}-wal`)).toBe(true);
    const haystacks: Haystacks = {
      database: readFileSync(dbPath).toString('latin1'),
      WAL: readFileSync(`${dbPath}-wal`).toString('latin1'),
      'audit export': JSON.stringify(entries),
      'audit CSV': auditToCsv(entries),
    };
    // A clean shutdown checkpoints the WAL into the file: look at the file once more.
    await s.stop();
    haystacks['database after shutdown'] = readFileSync(dbPath).toString('latin1');
    if (existsSync(`${dbPath}-wal`)) haystacks['WAL after shutdown'] = readFileSync(`${dbPath}-wal`).toString('latin1');
    haystacks.log = readFileSync(logFile, 'latin1');
    expect(haystacks.log).toContain('/api/hosts/register');
    expect(haystacks.log).toContain('/api/admin/credentials');

    const found = hits(secrets, haystacks);
    console.log(
      `secrets at rest: ${secrets.length} secrets issued (admin token, 2 named credentials, 3 tokens, ` +
        `${secrets.length - 6} host credentials incl. replays and rotations) searched in 3 forms each across ` +
        `${Object.entries(haystacks)
          .map(([k, v]) => `${k} ${(v.length / 1024).toFixed(0)} KiB`)
          .join(', ')}; ${entries.length} audit entries; ${found.length} hits`,
    );
    expect(found).toEqual([]);
    // The search itself finds a secret where one is (a planted copy, by its random middle only).
    expect(hits([secrets[3]!], { probe: `x${secrets[3]!.replace(/-/g, '').slice(4, 24)}x` })).toHaveLength(1);
  });
});
