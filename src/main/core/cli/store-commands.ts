import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, fsyncSync, openSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { DataDirBusyError, dataPaths, ensureDataDir, lockDataDir } from '../data-dir';
import { fsyncDir } from '../durable-file';
import { MIGRATIONS } from '../db/migrations';
import { CliError, EXIT } from './cli-client';

/** What a backup or restore did, for the person or script that asked. */
export interface StoreReport {
  file: string;
  bytes: number;
  schema_version: number;
  hosts: number;
  registration_tokens: number;
  milliseconds: number;
}

/** Every page in one step: one read transaction, so the copy is one committed state of the store. */
const ALL_PAGES = 0x7fffffff;

function fsyncFile(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** A sibling temp path, so the final rename stays on one file system. */
const tempBeside = (path: string) => join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);

function countRows(db: Database.Database, table: string): number {
  return (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
}

/**
 * Opens a backup (or store) file for inspection and checks it is a whole Gatehouse store
 * this Gatehouse can run: SQLite, intact, with Gatehouse's tables, and no newer schema.
 */
function inspect(file: string): { schemaVersion: number; hosts: number; tokens: number } {
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch (error) {
    throw new CliError('NOT_FOUND', `Cannot open ${file}: ${(error as Error).message}.`, EXIT.notFound);
  }
  try {
    let check: string;
    try {
      check = db.pragma('quick_check', { simple: true }) as string;
    } catch (error) {
      throw new CliError(
        'VALIDATION_FAILED',
        `${file} is not a Gatehouse backup (${(error as Error).message}).`,
        EXIT.refused,
      );
    }
    if (check !== 'ok')
      throw new CliError('VALIDATION_FAILED', `${file} is damaged (SQLite says: ${check}).`, EXIT.refused);
    const schemaVersion = db.pragma('user_version', { simple: true }) as number;
    const known = MIGRATIONS.length;
    if (schemaVersion > known) {
      throw new CliError(
        'CONFLICT',
        `${file} was made by a newer Gatehouse (store schema version ${schemaVersion}; this Gatehouse knows up to ${known}). ` +
          'Upgrade Gatehouse first, then restore it.',
        EXIT.refused,
      );
    }
    const tables = new Set(
      (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map(
        (t) => t.name,
      ),
    );
    if (schemaVersion === 0 || !tables.has('hosts') || !tables.has('registration_tokens')) {
      throw new CliError('VALIDATION_FAILED', `${file} is an SQLite file but not a Gatehouse store.`, EXIT.refused);
    }
    return { schemaVersion, hosts: countRows(db, 'hosts'), tokens: countRows(db, 'registration_tokens') };
  } finally {
    db.close();
  }
}

/** Copies `source` (an open store) to `target` through SQLite's online backup, as one self-contained 0600 file. */
async function copyStore(source: Database.Database, target: string): Promise<void> {
  const temp = tempBeside(target);
  closeSync(openSync(temp, 'wx', 0o600));
  try {
    await source.backup(temp, { progress: () => ALL_PAGES });
    // A rollback journal instead of WAL: the backup is one file, with no -wal beside it to lose.
    const copy = new Database(temp);
    copy.pragma('journal_mode = DELETE');
    copy.close();
    chmodSync(temp, 0o600);
    fsyncFile(temp);
    renameSync(temp, target);
    fsyncDir(dirname(target));
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

/**
 * `gatehouse store backup --to FILE --data-dir DIR`: a consistent copy of the SQLite store
 * while the server keeps running (SQLite's online backup reads one committed state; writes
 * go on meanwhile), written atomically and 0600, since it holds credential hashes.
 */
export async function backupStore(dataDir: string, to: string): Promise<StoreReport> {
  const started = performance.now();
  const { database } = dataPaths(resolve(dataDir));
  if (!existsSync(database)) {
    throw new CliError('NOT_FOUND', `No Gatehouse store at ${database}; is --data-dir right?`, EXIT.notFound);
  }
  const target = resolve(to);
  if (!existsSync(dirname(target))) {
    throw new CliError('NOT_FOUND', `The folder ${dirname(target)} for --to does not exist.`, EXIT.notFound);
  }
  const source = new Database(database, { fileMustExist: true });
  try {
    // The server may be committing: wait for its lock rather than fail.
    source.pragma('busy_timeout = 10000');
    await copyStore(source, target);
  } finally {
    source.close();
  }
  const info = inspect(target);
  return {
    file: target,
    bytes: statSync(target).size,
    schema_version: info.schemaVersion,
    hosts: info.hosts,
    registration_tokens: info.tokens,
    milliseconds: Math.round(performance.now() - started),
  };
}

/** Folds an old store's WAL into its file and ends WAL mode, so no -wal can ever be replayed onto the restored file. */
function retireOldStore(database: string): void {
  if (existsSync(database)) {
    try {
      const old = new Database(database);
      old.pragma('wal_checkpoint(TRUNCATE)');
      old.pragma('journal_mode = DELETE');
      old.close();
    } catch {
      // Unreadable: it is being replaced anyway; its -wal and -shm go below.
    }
  }
  rmSync(`${database}-wal`, { force: true });
  rmSync(`${database}-shm`, { force: true });
}

/**
 * `gatehouse store restore --from FILE --data-dir DIR`: puts a backup in place as the store
 * of DIR. Refuses a backup from a newer Gatehouse and a data directory whose server is
 * running (it takes the data directory's lock for the whole restore), and replaces the
 * store atomically: a crash leaves the old store or the new one, never a mixture.
 * Only the store is restored: tokens sealed with another data directory's secret.key can
 * still be used but not re-shown unless that key is copied too.
 */
export async function restoreStore(from: string, dataDir: string): Promise<StoreReport> {
  const started = performance.now();
  const file = resolve(from);
  if (!existsSync(file)) throw new CliError('NOT_FOUND', `No backup at ${file}.`, EXIT.notFound);
  const info = inspect(file);
  const paths = dataPaths(resolve(dataDir));
  ensureDataDir(paths.dir);
  let lock: { release(): void };
  try {
    lock = lockDataDir(paths);
  } catch (error) {
    if (error instanceof DataDirBusyError) {
      throw new CliError('CONFLICT', `${error.message} A restore never overwrites a running store.`, EXIT.refused);
    }
    throw error;
  }
  try {
    const source = new Database(file, { readonly: true, fileMustExist: true });
    const staged = tempBeside(paths.database);
    try {
      await copyStore(source, staged);
    } finally {
      source.close();
    }
    try {
      retireOldStore(paths.database);
      renameSync(staged, paths.database);
      fsyncDir(paths.dir);
    } catch (error) {
      rmSync(staged, { force: true });
      throw error;
    }
  } finally {
    lock.release();
  }
  return {
    file: paths.database,
    bytes: statSync(paths.database).size,
    schema_version: info.schemaVersion,
    hosts: info.hosts,
    registration_tokens: info.tokens,
    milliseconds: Math.round(performance.now() - started),
  };
}
