import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { writeDurably } from './durable-file';
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
  writeDurably(path, token + '\n', 0o600);
  return token;
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
