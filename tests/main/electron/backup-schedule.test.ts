import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createBackupScheduler, type BackupTimers } from '../../../src/main/electron/backup-schedule';
import { makeGatehouse, silentLogger, type TestGatehouse } from '../../helpers/gatehouse';
import { tempDir } from '../../helpers/temp-dir';

/** Timers the test fires by hand, on a clock it moves. */
function manualTimers(start = Date.parse('2026-03-01T10:00:00.000Z')) {
  let now = start;
  const pending: { at: number; run: () => void }[] = [];
  const timers: BackupTimers = {
    now: () => now,
    set(run, ms) {
      const entry = { at: now + ms, run };
      pending.push(entry);
      return () => pending.splice(pending.indexOf(entry), 1);
    },
  };
  return {
    timers,
    pending,
    /** Moves the clock to the next timer and fires it. */
    fireNext() {
      const next = pending.sort((a, b) => a.at - b.at).shift();
      if (!next) throw new Error('no timer armed');
      now = Math.max(now, next.at);
      next.run();
    },
  };
}

/** Opens a backup the way a restore would and says what it holds. */
function openAsStore(file: string) {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return {
      check: db.pragma('quick_check', { simple: true }),
      version: db.pragma('user_version', { simple: true }) as number,
      tokens: (db.prepare('SELECT count(*) AS n FROM registration_tokens').get() as { n: number }).n,
    };
  } finally {
    db.close();
  }
}

let g: TestGatehouse | undefined;
afterEach(async () => {
  await g?.dispose();
  g = undefined;
});

describe('scheduled backups', () => {
  it('backs up on schedule into a file that opens as a Gatehouse store, and keeps only the newest N', async () => {
    g = await makeGatehouse();
    await g.tokens.create({ expires_in_hours: 1, max_uses: 1 }, 'test');
    const folder = tempDir();
    const clock = manualTimers();
    const backups = createBackupScheduler({
      file: join(tempDir(), 'backups.json'),
      dataDir: () => g!.dir,
      logger: silentLogger,
      timers: clock.timers,
    });
    backups.start();
    expect(clock.pending).toHaveLength(0);
    const state = backups.setSchedule({ folder, interval: 'daily', keep: 2 });
    expect(state.next_at).toBe('2026-03-02T10:00:00.000Z');

    for (let run = 1; run <= 3; run++) {
      clock.fireNext();
      await expect
        .poll(() => backups.state().last?.at, { timeout: 10_000 })
        .toBe(new Date(Date.parse('2026-03-01T10:00:00.000Z') + run * 86_400_000).toISOString());
      await expect.poll(() => clock.pending.length, { timeout: 10_000 }).toBe(1);
    }
    const files = readdirSync(folder).sort();
    expect(files).toEqual(['gatehouse-20260303-100000-000.db', 'gatehouse-20260304-100000-000.db']);
    const last = backups.state().last!;
    expect(last).toMatchObject({ file: join(folder, files[1]!), error: null });
    expect(statSync(last.file!).mode & 0o777).toBe(0o600);
    const opened = openAsStore(last.file!);
    expect(opened).toMatchObject({ check: 'ok', tokens: 1 });
    expect(opened.version).toBeGreaterThan(0);
    expect(backups.state().next_at).toBe('2026-03-05T10:00:00.000Z');
  });

  it('leaves files it did not write alone when pruning', async () => {
    g = await makeGatehouse();
    const folder = tempDir();
    writeFileSync(join(folder, 'notes.txt'), 'mine');
    mkdirSync(join(folder, 'older'));
    const backups = createBackupScheduler({
      file: join(tempDir(), 'backups.json'),
      dataDir: () => g!.dir,
      logger: silentLogger,
      timers: manualTimers().timers,
    });
    backups.setSchedule({ folder, interval: 'weekly', keep: 1 });
    await backups.runNow();
    expect(readdirSync(folder).sort()).toEqual(['gatehouse-20260301-100000-000.db', 'notes.txt', 'older']);
  });

  it('keeps a failure as the last result, with its reason, and tries again within the hour', async () => {
    const folder = tempDir();
    const backups = createBackupScheduler({
      file: join(tempDir(), 'backups.json'),
      dataDir: () => join(folder, 'no-store-here'),
      logger: silentLogger,
      timers: manualTimers().timers,
    });
    backups.setSchedule({ folder, interval: 'daily', keep: 3 });
    const state = await backups.runNow();
    expect(state.last).toMatchObject({ file: null, error: expect.stringContaining('No Gatehouse store') });
    expect(state.next_at).toBe('2026-03-01T11:00:00.000Z');
  });

  it('refuses a setting naming the wrong field, and pauses in team mode', async () => {
    const backups = createBackupScheduler({
      file: join(tempDir(), 'backups.json'),
      dataDir: () => null,
      logger: silentLogger,
      timers: manualTimers().timers,
    });
    expect(() => backups.setSchedule({ folder: 'relative', interval: 'daily', keep: 3 })).toThrow(/^folder /);
    expect(() => backups.setSchedule({ folder: tempDir(), interval: 'hourly', keep: 3 })).toThrow(/^interval /);
    expect(() => backups.setSchedule({ folder: tempDir(), interval: 'daily', keep: 0 })).toThrow(/^keep /);
    const state = backups.setSchedule({ folder: tempDir(), interval: 'daily', keep: 3 });
    expect(state).toMatchObject({ available: false, next_at: null });
    await expect(backups.runNow()).rejects.toThrow(/team server/);
  });
});
