import { closeSync, existsSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';

/**
 * A log file that never outgrows its bound: past `maxBytes` it is renamed to `.1`
 * (`.1` to `.2`, …, the oldest dropped) and a fresh file begun. Written synchronously,
 * like pino's own stdout destination, so the last lines before a crash are on disk.
 */
export function createRotatingLog(path: string, options: { maxBytes?: number; keep?: number } = {}) {
  const maxBytes = options.maxBytes ?? 10 * 1024 * 1024;
  const keep = options.keep ?? 5;
  let fd = openSync(path, 'a', 0o600);
  let size = existsSync(path) ? statSync(path).size : 0;

  function rotate(): void {
    closeSync(fd);
    rmSync(`${path}.${keep}`, { force: true });
    for (let i = keep - 1; i >= 1; i--) {
      if (existsSync(`${path}.${i}`)) renameSync(`${path}.${i}`, `${path}.${i + 1}`);
    }
    renameSync(path, `${path}.1`);
    fd = openSync(path, 'a', 0o600);
    size = 0;
  }

  return {
    write(line: string): boolean {
      const bytes = Buffer.byteLength(line);
      if (size > 0 && size + bytes > maxBytes) rotate();
      writeSync(fd, line);
      size += bytes;
      return true;
    },
    close(): void {
      closeSync(fd);
    },
  };
}
