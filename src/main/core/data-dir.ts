import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { writeFileAtomic } from './durable-file';
import { newCredential } from './security/secrets';

/**
 * Every file Gatehouse keeps in its data directory, named in one place. Everything
 * written here goes through {@link writeFileAtomic} (temp, fsync, rename, fsync of the
 * directory) and is 0600; the directory itself is 0700.
 */
export function dataPaths(dir: string) {
  return {
    dir,
    database: join(dir, 'gatehouse.db'),
    adminToken: join(dir, 'admin-token'),
    secretKey: join(dir, 'secret.key'),
    sealedSecretKey: join(dir, 'secret.key.sealed'),
    endpoint: join(dir, 'endpoint.json'),
    tlsCert: join(dir, 'tls-cert.pem'),
    tlsKey: join(dir, 'tls-key.pem'),
    lock: join(dir, 'gatehouse.lock'),
    log: join(dir, 'gatehouse.log'),
    /** Desktop: the team server it is attached to (credential sealed by the OS keychain). */
    teamServer: join(dir, 'team-server.json'),
    /** Desktop: the scheduled-backup setting and its last result. */
    backups: join(dir, 'backups.json'),
  };
}

export type DataPaths = ReturnType<typeof dataPaths>;

export function ensureDataDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

/**
 * Tightens Gatehouse's own files to 0600 (a store from an older Gatehouse had 0644): the
 * named ones, the database's -wal/-shm and the rotated logs. Nothing else: on the desktop
 * the directory is Electron's userData, whose own folders Chromium needs as they are.
 */
export function tightenDataDir(paths: DataPaths): void {
  const { dir, ...files } = paths;
  const ours = new Set(Object.values(files).map((file) => basename(file)));
  // gatehouse.db-wal, gatehouse.db-shm; gatehouse.log.1, .2, … (rotated).
  const companion = (name: string) =>
    [...ours].some(
      (own) => name.startsWith(`${own}-`) || (/^\d+$/.test(name.slice(own.length + 1)) && name.startsWith(`${own}.`)),
    );
  for (const name of readdirSync(dir)) {
    if (!ours.has(name) && !companion(name)) continue;
    try {
      chmodSync(join(dir, name), 0o600);
    } catch {
      // Gone meanwhile: nothing to tighten.
    }
  }
}

/** The admin bearer token: made once, 0600, reused across restarts so scripts keep working. */
export function loadOrCreateAdminToken(path: string): string {
  if (existsSync(path)) {
    chmodSync(path, 0o600);
    const token = readFileSync(path, 'utf8').trim();
    if (token.length >= 32) return token;
  }
  const token = newCredential('admin');
  writeFileAtomic(path, token + '\n', 0o600);
  return token;
}

export class DataDirBusyError extends Error {
  constructor(
    readonly dir: string,
    readonly holder: { pid: number; host: string; started: string },
  ) {
    super(
      `Another Gatehouse (pid ${holder.pid} on ${holder.host}, started ${holder.started}) is using ${dir}. ` +
        'Stop it first, or give this one another --data-dir.',
    );
    this.name = 'DataDirBusyError';
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * One process per data directory: a lock file created exclusively, naming its holder.
 * A lock left by a process that is gone (kill -9, power loss) is taken over.
 */
export function lockDataDir(paths: DataPaths): { release(): void } {
  const me = { pid: process.pid, host: hostname(), started: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(paths.lock, 'wx', 0o600);
      writeSync(fd, JSON.stringify(me));
      closeSync(fd);
      return { release: () => rmSync(paths.lock, { force: true }) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = readHolder(paths.lock);
    if (holder && !isStale(holder, me.host)) throw new DataDirBusyError(paths.dir, holder);
    rmSync(paths.lock, { force: true });
  }
  throw new Error(`could not take the lock ${paths.lock}`);
}

/** When this process started: a lock older than that with our own pid was left by an earlier process. */
const processStartedAt = () => Date.now() - process.uptime() * 1000;

/**
 * A lock is stale when its holder is gone: on this host, its pid is not running, or it is
 * our own pid but older than this process (a container's pid 1 after a restart). A lock
 * from another host (a shared disk) is never taken over.
 */
function isStale(holder: { pid: number; host: string; started: string }, host: string): boolean {
  if (holder.host !== host) return false;
  if (holder.pid === process.pid) return Date.parse(holder.started) < processStartedAt() - 1000;
  return !alive(holder.pid);
}

function readHolder(path: string): { pid: number; host: string; started: string } | null {
  try {
    const holder = JSON.parse(readFileSync(path, 'utf8')) as { pid: number; host: string; started: string };
    return typeof holder.pid === 'number' ? holder : null;
  } catch {
    return null;
  }
}

/** The directory holding package.json, found upward from `start`: the app's root in source and in builds. */
export function findAppRoot(start: string): string {
  let dir = resolve(start);
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${start}`);
    dir = parent;
  }
  return dir;
}
