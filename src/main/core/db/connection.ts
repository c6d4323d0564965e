import { chmodSync, closeSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';

export type Db = Database.Database;

/**
 * Opens (creating if needed) a SQLite connection in WAL mode with synchronous=FULL:
 * every acknowledged write survives kill -9 and power loss. The file is created 0600
 * (the process umask may be wider), since it holds hashes and sealed secrets.
 */
export function openConnection(file: string, options: { nativeBinding?: string } = {}): Db {
  // SQLite gives the -wal and -shm files the database file's mode, so 0600 here covers all three.
  if (file !== ':memory:') {
    closeSync(openSync(file, 'a', 0o600));
    chmodSync(file, 0o600);
  }
  // The Electron shell passes a better-sqlite3 binary built for Electron's ABI.
  const db = new Database(file, options.nativeBinding ? { nativeBinding: options.nativeBinding } : {});
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  return db;
}
