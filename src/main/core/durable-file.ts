import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';

/** Writes a file whole or not at all, and durably: temporary name, fsync, then rename. */
export function writeFileAtomic(path: string, content: string, mode = 0o600): void {
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  writeDurably(tmp, content, mode);
  renameSync(tmp, path);
}

/** writeFileSync does not fsync; secrets and keys written once must survive a power cut. */
export function writeDurably(path: string, content: string, mode: number, flag = 'w'): void {
  const fd = openSync(path, flag, mode);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
