import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DataDirBusyError,
  dataPaths,
  ensureDataDir,
  findAppRoot,
  loadOrCreateAdminToken,
  lockDataDir,
  tightenDataDir,
} from '../../../src/main/core/data-dir';
import { writeFileAtomic } from '../../../src/main/core/durable-file';
import { tempDir } from '../../helpers/temp-dir';
import { APP_ROOT } from '../../helpers/gatehouse';

const mode = (path: string) => statSync(path).mode & 0o777;

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

/** A live process that is not this one, to hold a lock. */
function otherProcess(): number {
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  children.push(child);
  return child.pid!;
}

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn('true', { stdio: 'ignore' });
  await new Promise((resolve) => child.on('exit', resolve));
  return child.pid!;
}

const writeLock = (path: string, holder: { pid: number; host: string }) =>
  writeFileSync(path, JSON.stringify({ ...holder, started: '2026-01-01T00:00:00.000Z' }));

describe('dataPaths', () => {
  it('names every file inside the data directory, each once', () => {
    const dir = '/var/lib/gatehouse';
    const paths = dataPaths(dir);
    const files = Object.entries(paths)
      .filter(([key]) => key !== 'dir')
      .map(([, path]) => path);
    expect(new Set(files).size).toBe(files.length);
    for (const file of files) expect(file.startsWith(`${dir}/`)).toBe(true);
    expect(paths).toMatchObject({
      database: `${dir}/gatehouse.db`,
      adminToken: `${dir}/admin-token`,
      lock: `${dir}/gatehouse.lock`,
    });
  });
});

describe('the data directory', () => {
  it('is created 0700, and an existing looser one is tightened', () => {
    const fresh = join(tempDir(), 'a', 'b');
    const umask = process.umask(0o022);
    try {
      ensureDataDir(fresh);
    } finally {
      process.umask(umask);
    }
    expect(mode(fresh)).toBe(0o700);
    const loose = join(tempDir(), 'loose');
    mkdirSync(loose, { mode: 0o755 });
    chmodSync(loose, 0o755);
    ensureDataDir(loose);
    expect(mode(loose)).toBe(0o700);
  });

  it("has Gatehouse's own files tightened to 0600, and leaves what others keep there alone", () => {
    const dir = tempDir();
    const ours = ['gatehouse.db', 'gatehouse.db-wal', 'admin-token', 'gatehouse.log.2'];
    for (const name of [...ours, 'Preferences']) {
      writeFileSync(join(dir, name), 'x');
      chmodSync(join(dir, name), 0o644);
    }
    // Electron's userData holds Chromium's folders too; they must keep their execute bit.
    mkdirSync(join(dir, 'GPUCache'), { mode: 0o755 });
    tightenDataDir(dataPaths(dir));
    for (const name of ours) expect(mode(join(dir, name))).toBe(0o600);
    expect(mode(join(dir, 'Preferences'))).toBe(0o644);
    expect(mode(join(dir, 'GPUCache'))).toBe(0o755);
  });

  it('writes files atomically, 0600, leaving no temporary file behind', () => {
    const dir = tempDir();
    const file = join(dir, 'endpoint.json');
    writeFileAtomic(file, '{"a":1}\n');
    writeFileAtomic(file, '{"a":2}\n');
    expect(readFileSync(file, 'utf8')).toBe('{"a":2}\n');
    expect(mode(file)).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['endpoint.json']);
  });
});

describe('the admin token', () => {
  it('is made once, 0600, and reused across restarts', () => {
    const path = join(tempDir(), 'admin-token');
    const first = loadOrCreateAdminToken(path);
    expect(first.length).toBeGreaterThanOrEqual(32);
    expect(mode(path)).toBe(0o600);
    chmodSync(path, 0o644);
    expect(loadOrCreateAdminToken(path)).toBe(first);
    expect(mode(path)).toBe(0o600);
  });

  it('is made anew when the file holds something too short to be one', () => {
    const path = join(tempDir(), 'admin-token');
    writeFileSync(path, 'short\n');
    const token = loadOrCreateAdminToken(path);
    expect(token).not.toBe('short');
    expect(readFileSync(path, 'utf8').trim()).toBe(token);
  });
});

describe('the data directory lock', () => {
  it('names its holder and is removed on release', () => {
    const paths = dataPaths(tempDir());
    const lock = lockDataDir(paths);
    expect(JSON.parse(readFileSync(paths.lock, 'utf8'))).toMatchObject({ pid: process.pid, host: hostname() });
    expect(mode(paths.lock)).toBe(0o600);
    lock.release();
    expect(existsSync(paths.lock)).toBe(false);
  });

  it('refuses a directory another live process holds, naming its pid', () => {
    const paths = dataPaths(tempDir());
    const pid = otherProcess();
    writeLock(paths.lock, { pid, host: hostname() });
    let caught: unknown;
    try {
      lockDataDir(paths);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(DataDirBusyError);
    expect((caught as DataDirBusyError).holder.pid).toBe(pid);
    expect((caught as Error).message).toContain(`pid ${pid}`);
    expect(JSON.parse(readFileSync(paths.lock, 'utf8')).pid).toBe(pid);
  });

  it('takes over a lock left by a process that is gone', async () => {
    const paths = dataPaths(tempDir());
    writeLock(paths.lock, { pid: await deadPid(), host: hostname() });
    const lock = lockDataDir(paths);
    expect(JSON.parse(readFileSync(paths.lock, 'utf8')).pid).toBe(process.pid);
    lock.release();
  });

  it('takes over a lock file that is damaged', () => {
    const paths = dataPaths(tempDir());
    writeFileSync(paths.lock, '{not json');
    lockDataDir(paths).release();
  });

  it('refuses a lock held from another machine (a shared directory), whatever the pid', async () => {
    const paths = dataPaths(tempDir());
    writeLock(paths.lock, { pid: await deadPid(), host: 'some-other-host' });
    expect(() => lockDataDir(paths)).toThrow(DataDirBusyError);
  });

  it('refuses a second lock of the same directory from this process', () => {
    const paths = dataPaths(tempDir());
    const lock = lockDataDir(paths);
    try {
      expect(() => lockDataDir(paths)).toThrow(DataDirBusyError);
    } finally {
      lock.release();
    }
  });
});

describe('findAppRoot', () => {
  it('finds the directory holding package.json above a source file', () => {
    expect(findAppRoot(join(APP_ROOT, 'src', 'main', 'core'))).toBe(APP_ROOT);
  });

  it('says so when there is none', () => {
    expect(() => findAppRoot('/')).toThrow(/no package.json/);
  });
});
