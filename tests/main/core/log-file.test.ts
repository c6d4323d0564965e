import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRotatingLog } from '../../../src/main/core/log-file';
import { tempDir } from '../../helpers/temp-dir';

describe('the rotating log file', () => {
  it('never grows past its bound: it rotates to .1 … .keep and drops the oldest', () => {
    const path = join(tempDir(), 'gatehouse.log');
    const log = createRotatingLog(path, { maxBytes: 1000, keep: 2 });
    for (let i = 0; i < 100; i++) log.write(`${JSON.stringify({ line: i, pad: 'x'.repeat(80) })}\n`);
    log.close();
    for (const file of [path, `${path}.1`, `${path}.2`]) expect(statSync(file).size).toBeLessThanOrEqual(1000);
    expect(existsSync(`${path}.3`)).toBe(false);
    expect(readFileSync(path, 'utf8')).toContain('"line":99');
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('appends to the file a previous run left', () => {
    const path = join(tempDir(), 'gatehouse.log');
    createRotatingLog(path).write('first run\n');
    createRotatingLog(path).write('second run\n');
    expect(readFileSync(path, 'utf8')).toBe('first run\nsecond run\n');
  });
});
