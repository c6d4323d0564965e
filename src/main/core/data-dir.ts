import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { newCredential } from './security/secrets';

/** The files Gatehouse keeps in its data directory. */
export function dataPaths(dir: string) {
  return {
    dir,
    database: join(dir, 'gatehouse.db'),
    adminToken: join(dir, 'admin-token'),
    secretKey: join(dir, 'secret.key'),
    endpoint: join(dir, 'endpoint.json'),
  };
}

export function ensureDataDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/** The admin bearer token: made once, 0600, reused across restarts so scripts keep working. */
export function loadOrCreateAdminToken(path: string): string {
  if (existsSync(path)) {
    chmodSync(path, 0o600);
    const token = readFileSync(path, 'utf8').trim();
    if (token.length >= 32) return token;
  }
  const token = newCredential('admin');
  writeFileSync(path, token + '\n', { mode: 0o600 });
  return token;
}

/** Writes a file whole or not at all: temporary name, fsync'd by close, then renamed. */
export function writeFileAtomic(path: string, content: string, mode = 0o600): void {
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, content, { mode });
  renameSync(tmp, path);
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
