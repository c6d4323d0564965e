import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { Logger } from 'pino';
import { ApiError } from '../../shared/api/errors';
import type { BackupResult, BackupSchedule, BackupState } from '../../shared/api/bridge';
import { backupStore } from '../core/cli/store-commands';
import { writeFileAtomic } from '../core/durable-file';

// Plain Node on purpose (no `electron`): the shell only wires it to IPC.

const RETRY_AFTER_FAILURE_MS = 3_600_000;

export const BACKUP_INTERVALS = { daily: 86_400_000, weekly: 7 * 86_400_000 } as const;

interface SavedBackups {
  schedule: BackupSchedule | null;
  last: BackupResult | null;
  /** The last backup that worked: the schedule counts from here. */
  last_success_at: string | null;
}

/** Timers, handed in so tests fire them by hand. */
export interface BackupTimers {
  now(): number;
  set(run: () => void, ms: number): () => void;
}

const realTimers: BackupTimers = {
  now: () => Date.now(),
  set(run, ms) {
    // setTimeout holds at most ~24.8 days; a weekly schedule fits, longer waits re-arm.
    const timer = setTimeout(run, Math.min(Math.max(ms, 0), 2 ** 31 - 1));
    timer.unref();
    return () => clearTimeout(timer);
  },
};

const BACKUP_NAME = /^gatehouse-\d{8}-\d{6}-\d{3}\.db$/;

/** Sorts by name = by time; a second backup in the same millisecond waits for the next one. */
function backupName(at: Date): string {
  const iso = at.toISOString(); // 2026-01-02T03:04:05.678Z
  return `gatehouse-${iso.slice(0, 10).replaceAll('-', '')}-${iso.slice(11, 19).replaceAll(':', '')}-${iso.slice(20, 23)}.db`;
}

/** Checks the setting from the panel; each refusal names its field. */
export function parseBackupSchedule(input: unknown): BackupSchedule | null {
  if (input === null) return null;
  const given = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
  const folder = typeof given.folder === 'string' ? given.folder.trim() : '';
  if (!isAbsolute(folder)) throw new ApiError('VALIDATION_FAILED', 'folder must be an absolute path to a folder.');
  if (!existsSync(folder) || !statSync(folder).isDirectory()) {
    throw new ApiError('VALIDATION_FAILED', `folder ${folder} does not exist or is not a folder.`);
  }
  if (given.interval !== 'daily' && given.interval !== 'weekly') {
    throw new ApiError('VALIDATION_FAILED', 'interval must be daily or weekly.');
  }
  const keep = given.keep;
  if (typeof keep !== 'number' || !Number.isInteger(keep) || keep < 1 || keep > 365) {
    throw new ApiError('VALIDATION_FAILED', 'keep must be a whole number of backups from 1 to 365.');
  }
  return { folder, interval: given.interval, keep };
}

export interface BackupSchedulerOptions {
  /** dataPaths().backups */
  file: string;
  /** The embedded core's data directory, or null in team mode (nothing local to back up). */
  dataDir: () => string | null;
  logger: Logger;
  timers?: BackupTimers;
}

/**
 * Scheduled backups of the desktop's SQLite store while the app runs: SQLite's online
 * backup (the same as `gatehouse store backup`) into the chosen folder, keeping the
 * newest N. A failure is logged and kept as the last result; the next run tries again.
 */
export function createBackupScheduler(options: BackupSchedulerOptions) {
  const timers = options.timers ?? realTimers;
  const saved = load(options.file);
  let cancel: (() => void) | null = null;
  let nextAt: number | null = null;
  let running: Promise<BackupResult> | null = null;

  const persist = () => writeFileAtomic(options.file, JSON.stringify(saved, null, 2) + '\n', 0o600);

  const state = (): BackupState => ({
    schedule: saved.schedule,
    last: saved.last,
    next_at: nextAt === null ? null : new Date(nextAt).toISOString(),
    available: options.dataDir() !== null,
  });

  function arm(): void {
    cancel?.();
    cancel = null;
    nextAt = null;
    if (!saved.schedule || options.dataDir() === null) return;
    const since = saved.last_success_at ? Date.parse(saved.last_success_at) : timers.now();
    const due = since + BACKUP_INTERVALS[saved.schedule.interval];
    // After a failure (a folder on a disk that was unplugged, say), try again within the hour.
    const retry = saved.last?.error ? Date.parse(saved.last.at) + RETRY_AFTER_FAILURE_MS : Infinity;
    nextAt = Math.max(Math.min(due, retry), timers.now());
    cancel = timers.set(() => {
      cancel = null;
      if (nextAt !== null && timers.now() < nextAt) return arm();
      void run().finally(arm);
    }, nextAt - timers.now());
  }

  async function backUp(): Promise<BackupResult> {
    const dataDir = options.dataDir();
    const schedule = saved.schedule;
    const at = new Date(timers.now());
    if (dataDir === null) {
      throw new ApiError(
        'CONFLICT',
        "This app is attached to a team server: back up the team server's store where it runs.",
      );
    }
    if (!schedule) throw new ApiError('VALIDATION_FAILED', 'folder: choose a backup folder first.');
    let result: BackupResult;
    try {
      const report = await backupStore(dataDir, join(schedule.folder, backupName(at)));
      prune(schedule);
      result = { at: at.toISOString(), file: report.file, bytes: report.bytes, error: null };
      saved.last_success_at = result.at;
      options.logger.info({ file: report.file, bytes: report.bytes, ms: report.milliseconds }, 'backup written');
    } catch (error) {
      result = { at: at.toISOString(), file: null, bytes: null, error: (error as Error).message };
      options.logger.error({ err: error, folder: schedule.folder }, 'backup failed');
    }
    saved.last = result;
    persist();
    return result;
  }

  /** One backup at a time: "Back up now" during a scheduled run gets that run's result. */
  function run(): Promise<BackupResult> {
    running ??= backUp().finally(() => (running = null));
    return running;
  }

  function prune(schedule: BackupSchedule): void {
    const ours = readdirSync(schedule.folder)
      .filter((name) => BACKUP_NAME.test(name))
      .sort()
      .reverse();
    for (const name of ours.slice(schedule.keep)) rmSync(join(schedule.folder, name), { force: true });
  }

  return {
    state,
    /** Starts (or, after a switch of mode, re-arms) the timer. */
    start: arm,
    stop() {
      cancel?.();
      cancel = null;
      nextAt = null;
    },
    setSchedule(input: unknown): BackupState {
      saved.schedule = parseBackupSchedule(input);
      persist();
      arm();
      return state();
    },
    async runNow(): Promise<BackupState> {
      await run();
      arm();
      return state();
    },
  };
}

export type BackupScheduler = ReturnType<typeof createBackupScheduler>;

function load(file: string): SavedBackups {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<SavedBackups>;
    return {
      schedule: parsed.schedule ?? null,
      last: parsed.last ?? null,
      last_success_at: parsed.last_success_at ?? null,
    };
  } catch {
    return { schedule: null, last: null, last_success_at: null };
  }
}
