import { spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RegisterHostInput } from '../../../src/shared/api/schemas';
import { DataDirBusyError, dataPaths } from '../../../src/main/core/data-dir';
import { startHeadless, type Headless, type HeadlessOptions } from '../../../src/main/core/headless';
import { startRuntime, type Runtime } from '../../../src/main/core/runtime';
import { loadOrCreateKeyFile } from '../../../src/main/core/security/secret-box';
import { APP_ROOT, registration, silentLogger } from '../../helpers/gatehouse';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const step of cleanups.splice(0).reverse()) await step();
});

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-runtime-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function headless(dir: string, over: Partial<HeadlessOptions> = {}): Promise<Headless> {
  const started = await startHeadless({
    dataDir: dir,
    port: 0,
    adminPort: 0,
    bind: '127.0.0.1',
    http: true,
    logger: silentLogger,
    appRoot: APP_ROOT,
    version: 'test',
    ...over,
  });
  cleanups.push(() => started.stop());
  return started;
}

async function runtime(dir: string, heartbeatFlushMs?: number): Promise<Runtime> {
  const started = await startRuntime({
    dataDir: dir,
    logger: silentLogger,
    version: 'test',
    joinAssetsDir: join(APP_ROOT, 'resources'),
    secretKey: (paths) => ({ key: loadOrCreateKeyFile(paths.secretKey), storage: 'file' }),
    lan: { bind: '127.0.0.1', port: 0, http: true },
    heartbeatFlushMs,
  });
  cleanups.push(() => started.stop());
  return started;
}

/** A port something else is listening on. */
async function busyPort(): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as { port: number }).port;
}

/** Files this process has open in `dir` (Linux: /proc/self/fd). */
function openFilesIn(dir: string): string[] {
  return readdirSync('/proc/self/fd')
    .map((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`);
      } catch {
        return '';
      }
    })
    .filter((target) => target.startsWith(dir + '/'));
}

async function rejection(call: Promise<unknown>): Promise<Error> {
  try {
    await call;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the start to fail');
}

const children: ChildProcess[] = [];
afterEach(() => children.splice(0).forEach((c) => c.kill('SIGKILL')));

describe('one process per data directory', () => {
  it('refuses a second start on the same directory, naming the holder pid', async () => {
    const dir = dataDir();
    const first = await headless(dir);
    const error = await rejection(headless(dir));
    expect(error).toBeInstanceOf(DataDirBusyError);
    expect((error as DataDirBusyError).holder.pid).toBe(process.pid);
    expect(error.message).toContain(`pid ${process.pid}`);
    // The first one is unharmed and still holds the lock.
    expect(JSON.parse(readFileSync(dataPaths(dir).lock, 'utf8')).pid).toBe(process.pid);
    expect((await fetch(first.endpoint.admin_url + '/api/admin/system/info')).status).toBe(401);
  });

  it('makes a second `npm run serve` on a directory this process holds exit, naming this pid', async () => {
    const dir = dataDir();
    await headless(dir);
    const child = spawn(
      'npm',
      [
        'run',
        '--silent',
        'serve',
        '--',
        '--data-dir',
        dir,
        '--port',
        '0',
        '--admin-port',
        '0',
        '--bind',
        '127.0.0.1',
        '--http',
      ],
      { cwd: APP_ROOT, env: { ...process.env, GATEHOUSE_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(child);
    let output = '';
    child.stdout!.on('data', (c) => (output += c));
    child.stderr!.on('data', (c) => (output += c));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).not.toBe(0);
    expect(output).toContain(`pid ${process.pid}`);
    expect(JSON.parse(readFileSync(dataPaths(dir).lock, 'utf8')).pid).toBe(process.pid);
  });

  it('refuses a directory held by another live process, naming its pid, touching nothing', async () => {
    const dir = dataDir();
    const child = spawn('sleep', ['60'], { stdio: 'ignore' });
    children.push(child);
    writeFileSync(dataPaths(dir).lock, JSON.stringify({ pid: child.pid, host: hostname(), started: 'x' }));
    const error = await rejection(headless(dir));
    expect(error).toBeInstanceOf(DataDirBusyError);
    expect(error.message).toContain(`pid ${child.pid}`);
    expect(existsSync(dataPaths(dir).database)).toBe(false);
    expect(JSON.parse(readFileSync(dataPaths(dir).lock, 'utf8')).pid).toBe(child.pid);
  });

  it('takes over a stale lock whose process no longer exists', async () => {
    const dir = dataDir();
    const gone = spawn('true', { stdio: 'ignore' });
    await new Promise((resolve) => gone.on('exit', resolve));
    writeFileSync(dataPaths(dir).lock, JSON.stringify({ pid: gone.pid, host: hostname(), started: 'x' }));
    await headless(dir);
    expect(JSON.parse(readFileSync(dataPaths(dir).lock, 'utf8')).pid).toBe(process.pid);
  });

  it('releases the lock and closes the store on stop, so the next start succeeds', async () => {
    const dir = dataDir();
    const first = await headless(dir);
    await first.stop();
    expect(existsSync(dataPaths(dir).lock)).toBe(false);
    expect(openFilesIn(dir)).toEqual([]);
    await headless(dir);
  });
});

describe('file modes', () => {
  it('leaves every file in the data directory 0600 and the directory 0700 after start', async () => {
    const dir = dataDir();
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, 'admin-token'), 'gha_' + 'x'.repeat(40) + '\n', { mode: 0o644 });
    const umask = process.umask(0o022);
    let started: Headless;
    try {
      started = await headless(dir, { http: false });
    } finally {
      process.umask(umask);
    }
    await started.gatehouse.tokens.create({ expires_in_hours: 1, max_uses: 1 }, 'admin');
    const paths = dataPaths(dir);
    const expected = [
      paths.database,
      `${paths.database}-wal`,
      `${paths.database}-shm`,
      paths.adminToken,
      paths.secretKey,
      paths.endpoint,
      paths.tlsCert,
      paths.tlsKey,
      paths.lock,
    ];
    for (const file of expected) expect({ file, exists: existsSync(file) }).toEqual({ file, exists: true });
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const modes = readdirSync(dir).map((name) => [name, (statSync(join(dir, name)).mode & 0o777).toString(8)]);
    expect(modes).toEqual(modes.map(([name]) => [name, '600']));
  });
});

describe('a start that fails part-way', () => {
  it('releases the lock and closes the store when the LAN port is taken, and a later start succeeds', async () => {
    const dir = dataDir();
    const port = await busyPort();
    const error = await rejection(headless(dir, { port }));
    expect((error as NodeJS.ErrnoException).code).toBe('EADDRINUSE');
    expect(existsSync(dataPaths(dir).lock)).toBe(false);
    expect(openFilesIn(dir)).toEqual([]);
    await headless(dir);
  });

  it('releases the lock and closes the store when the admin port is taken, and a later start succeeds', async () => {
    const dir = dataDir();
    const adminPort = await busyPort();
    const error = await rejection(headless(dir, { adminPort }));
    expect((error as NodeJS.ErrnoException).code).toBe('EADDRINUSE');
    expect(existsSync(dataPaths(dir).lock)).toBe(false);
    expect(existsSync(dataPaths(dir).endpoint)).toBe(false);
    expect(openFilesIn(dir)).toEqual([]);
    await headless(dir);
  });
});

describe('the runtime', () => {
  it('starts the core and a LAN listener serving join.sh in one call', async () => {
    const r = await runtime(dataDir());
    expect(r.lan.endpoint.lanUrl).toBe(`http://127.0.0.1:${r.lan.port}`);
    const health = await fetch(`${r.lan.endpoint.lanUrl}/join.sh`);
    expect(health.status).toBe(200);
    expect((await health.text()).startsWith('#!/bin/sh')).toBe(true);
  });

  it('flushes heartbeats in the background', async () => {
    const r = await runtime(dataDir(), 20);
    const g = r.gatehouse;
    const t = await g.tokens.create({ expires_in_hours: 1, max_uses: 1, auto_approve: true }, 'admin');
    const reg = await g.enrolment.register(registration(t.token) as RegisterHostInput, '127.0.0.1');
    const host = await g.enrolment.authenticate(reg.host_token);
    await g.enrolment.heartbeat(host); // the first beat is written at once
    const later = Date.now() + 60_000;
    g.heartbeats.record(reg.host_id, later);
    await vi.waitFor(
      async () => expect((await g.store.read((x) => x.hosts.findById(reg.host_id)))!.last_seen_at).toBe(later),
      { timeout: 10_000, interval: 20 },
    );
    expect(g.heartbeats.backlog).toBe(0);
  });

  it('stops once, however often stop is called', async () => {
    const dir = dataDir();
    const r = await runtime(dir);
    await r.stop();
    await r.stop();
    expect(existsSync(dataPaths(dir).lock)).toBe(false);
    expect(openFilesIn(dir)).toEqual([]);
  });
});
