import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../../../src/main/core/db/migrations';
import { startHeadless } from '../../../../src/main/core/headless';
import { APP_ROOT, registration, silentLogger, startTestServer, type TestServer } from '../../../helpers/gatehouse';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The `gatehouse` command in a process of its own, as an operator runs it beside the server. */
function gatehouse(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', join(APP_ROOT, 'src/main/core/cli/gatehouse-main.ts'), ...args],
      { cwd: APP_ROOT, env: { ...process.env, GATEHOUSE_CREDENTIAL: '' } },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

interface Acknowledged {
  host_id: string;
  host_token: string;
}

const STORM = 240;
const work = mkdtempSync(join(tmpdir(), 'gatehouse-backup-'));
let server: TestServer;
let backupFile: string;
let acknowledgedBefore: Acknowledged[] = [];
let spareToken: string;
let stormSize = 0;

beforeAll(async () => {
  server = await startTestServer();
  const storm = (await (
    await server.admin('/api/admin/registration-tokens', {
      json: { expires_in_hours: 2, max_uses: 0, auto_approve: true, description: 'storm' },
    })
  ).json()) as { token: string };
  spareToken = (
    (await (
      await server.admin('/api/admin/registration-tokens', { json: { expires_in_hours: 2, max_uses: 5 } })
    ).json()) as { token: string }
  ).token;

  const acknowledged: Acknowledged[] = [];
  const registrations = Array.from({ length: STORM }, async () => {
    const res = await server.lan('/api/hosts/register', { json: registration(storm.token) });
    if (res.status === 201) acknowledged.push((await res.json()) as Acknowledged);
    return res.status;
  });
  while (acknowledged.length < STORM / 4) await new Promise((r) => setTimeout(r, 2));
  // Everything acknowledged up to here must be in the backup; the rest of the storm goes on meanwhile.
  acknowledgedBefore = [...acknowledged];
  backupFile = join(work, 'gatehouse-backup.db');
  const started = performance.now();
  const backup = await gatehouse(['store', 'backup', '--to', backupFile, '--data-dir', server.dir, '-o', 'json']);
  const statuses = await Promise.all(registrations);
  expect(backup.stderr).toBe('');
  expect(backup.code).toBe(0);
  stormSize = statuses.filter((s) => s === 201).length;
  const report = JSON.parse(backup.stdout) as { hosts: number; bytes: number; milliseconds: number };
  console.log(
    `backup during a storm of ${STORM} registrations: ${report.hosts} hosts copied (${acknowledgedBefore.length} acknowledged before it began), ` +
      `${report.bytes} bytes, ${report.milliseconds} ms in the command, ${Math.round(performance.now() - started)} ms with process start`,
  );
}, 120_000);
afterAll(async () => {
  await server.dispose();
  rmSync(work, { recursive: true, force: true });
});

describe('gatehouse store backup and restore', () => {
  it('writes the backup 0600, as one file with no WAL beside it', () => {
    expect(statSync(backupFile).mode & 0o777).toBe(0o600);
    expect(existsSync(`${backupFile}-wal`)).toBe(false);
    expect(stormSize).toBe(STORM);
  });

  it('restores into a new data directory whose server knows every host and token acknowledged before the backup began', async () => {
    const dir = join(work, 'restored');
    const restore = await gatehouse(['store', 'restore', '--from', backupFile, '--data-dir', dir]);
    expect(restore.stderr).toBe('');
    expect(restore.code).toBe(0);
    expect(restore.stdout).toMatch(/^restored .*gatehouse\.db: \d+ hosts/);
    expect(statSync(join(dir, 'gatehouse.db')).mode & 0o777).toBe(0o600);

    const restored = await startHeadless({
      dataDir: dir,
      port: 0,
      adminPort: 0,
      bind: '127.0.0.1',
      http: true,
      logger: silentLogger,
      appRoot: APP_ROOT,
      version: 'test',
    });
    try {
      const adminToken = readFileSync(join(dir, 'admin-token'), 'utf8').trim();
      const ids = new Set<string>();
      let cursor: string | null = null;
      do {
        const page = (await (
          await fetch(`${restored.endpoint.admin_url}/api/admin/hosts?limit=500${cursor ? `&cursor=${cursor}` : ''}`, {
            headers: { Authorization: `Bearer ${adminToken}` },
          })
        ).json()) as { hosts: { id: string }[]; next_cursor: string | null };
        page.hosts.forEach((h) => ids.add(h.id));
        cursor = page.next_cursor;
      } while (cursor);
      const missing = acknowledgedBefore.filter((a) => !ids.has(a.host_id));
      expect(missing).toEqual([]);

      const heartbeats = await Promise.all(
        acknowledgedBefore.map(async (a) => {
          const res = await fetch(`${restored.endpoint.lan_url}/api/hosts/heartbeat`, {
            method: 'POST',
            headers: { Authorization: `Bearer ${a.host_token}` },
          });
          return res.status;
        }),
      );
      expect(heartbeats.filter((s) => s !== 204)).toEqual([]);

      const res = await fetch(`${restored.endpoint.lan_url}/api/hosts/register`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(registration(spareToken)),
      });
      expect(res.status).toBe(201);
      expect(((await res.json()) as { status: string }).status).toBe('PENDING');
    } finally {
      await restored.stop();
    }
  }, 60_000);

  it('refuses a backup made by a newer Gatehouse, and leaves the data directory as it was', async () => {
    const newer = join(work, 'newer.db');
    copyFileSync(backupFile, newer);
    const db = new Database(newer);
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    db.close();
    const dir = join(work, 'untouched');
    const run = await gatehouse(['store', 'restore', '--from', newer, '--data-dir', dir]);
    expect(run.code).toBe(6);
    expect(run.stderr).toContain('newer Gatehouse');
    expect(run.stderr).toContain(`schema version ${MIGRATIONS.length + 1}`);
    expect(run.stderr).toContain('Upgrade Gatehouse');
    expect(existsSync(join(dir, 'gatehouse.db'))).toBe(false);
  }, 30_000);

  it('refuses to restore over a data directory whose server is running', async () => {
    const before = statSync(join(server.dir, 'gatehouse.db')).ino;
    const run = await gatehouse(['store', 'restore', '--from', backupFile, '--data-dir', server.dir]);
    expect(run.code).toBe(6);
    expect(run.stderr).toContain('CONFLICT');
    expect(run.stderr).toContain('never overwrites a running store');
    expect(statSync(join(server.dir, 'gatehouse.db')).ino).toBe(before);
    expect((await server.admin('/api/admin/hosts?limit=1')).status).toBe(200);
  }, 30_000);

  it('refuses a file that is not a Gatehouse store', async () => {
    const junk = join(work, 'junk.db');
    const db = new Database(junk);
    db.exec('CREATE TABLE notes (x)');
    db.close();
    const run = await gatehouse(['store', 'restore', '--from', junk, '--data-dir', join(work, 'junk-dir')]);
    expect(run.code).toBe(6);
    expect(run.stderr).toContain('not a Gatehouse store');
  }, 30_000);
});
