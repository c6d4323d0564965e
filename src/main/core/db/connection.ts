import Database from 'better-sqlite3';
import { migrate } from './migrate';
import { MIGRATIONS } from './migrations';

export type Db = Database.Database;

/**
 * Opens (creating if needed) the store and brings it to the current schema.
 *
 * WAL with synchronous=FULL: every acknowledged write survives kill -9 and power
 * loss. The busy timeout lets a second process (or a worker) wait instead of failing.
 */
export function openDatabase(file: string, options: { nativeBinding?: string } = {}): Db {
  // The Electron shell passes a better-sqlite3 binary built for Electron's ABI;
  // Node (tests, headless) uses the one in node_modules.
  const db = new Database(file, options.nativeBinding ? { nativeBinding: options.nativeBinding } : {});
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db, MIGRATIONS);
  return db;
}

/**
 * Runs `fn` in a write transaction begun IMMEDIATE, so the write lock is taken up
 * front and concurrent writers queue on the busy timeout instead of failing mid-way.
 */
export function writeTransaction<T>(db: Db, fn: () => T): T {
  return db.transaction(fn).immediate();
}
