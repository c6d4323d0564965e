import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Writes a file whole or not at all, and durably: a temporary name, fsync, rename,
 * then fsync of the directory so the rename itself survives a power cut.
 */
export function writeFileAtomic(path: string, content: string | Buffer, mode = 0o600): void {
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeDurably(tmp, content, mode);
    renameSync(tmp, path);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
  fsyncDir(dirname(path));
}

/** writeFileSync does not fsync; secrets and keys written once must survive a power cut. */
export function writeDurably(path: string, content: string | Buffer, mode: number, flag = 'w'): void {
  const fd = openSync(path, flag, mode);
  try {
    writeSync(fd, typeof content === 'string' ? Buffer.from(content) : content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Makes the directory's entries (a rename, a new file) durable. */
export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
