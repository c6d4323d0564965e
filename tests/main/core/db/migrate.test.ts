import Database from 'better-sqlite3';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chmodSync, statSync } from 'node:fs';
import { openConnection } from '../../../../src/main/core/db/connection';
import { migrate, type Migration } from '../../../../src/main/core/db/migrate';
import { MIGRATIONS } from '../../../../src/main/core/db/migrations';
import { tempDir } from '../../../helpers/temp-dir';

const table = (version: number, name: string): Migration => ({
  version,
  name: `000${version}-${name}`,
  up: (db) => void db.exec(`CREATE TABLE ${name} (id INTEGER)`),
});

describe('migrations', () => {
  it('are numbered 1, 2, 3… in order', () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
  });

  it('replay an empty database to the newest version', () => {
    const db = new Database(':memory:');
    expect(migrate(db, MIGRATIONS)).toBe(MIGRATIONS.length);
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all();
    expect(tables).toEqual(expect.arrayContaining(['registration_tokens', 'hosts', 'audit_log', 'settings']));
  });

  it('apply only the steps a database has not had', () => {
    const db = new Database(':memory:');
    migrate(db, [table(1, 'a')]);
    expect(migrate(db, [table(1, 'a'), table(2, 'b')])).toBe(2);
    expect(migrate(db, [table(1, 'a'), table(2, 'b')])).toBe(2);
  });

  it('leave the database untouched when a step fails', () => {
    const db = new Database(':memory:');
    migrate(db, [table(1, 'a')]);
    const broken: Migration = { version: 3, name: '0003-broken', up: (d) => void d.exec('CREATE TABLE nonsense (') };
    expect(() => migrate(db, [table(1, 'a'), table(2, 'b'), broken])).toThrow();
    expect(db.pragma('user_version', { simple: true })).toBe(1);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'b'").get()).toBeUndefined();
  });

  it('refuse a database written by a newer Gatehouse', () => {
    const db = new Database(':memory:');
    db.pragma('user_version = 99');
    expect(() => migrate(db, MIGRATIONS)).toThrow(/newer than this Gatehouse/);
  });
});

describe('connection', () => {
  it('opens in WAL with synchronous=FULL and foreign keys', () => {
    const db = openConnection(join(tempDir(), 'g.db'));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    db.close();
  });

  it('creates the database and its -wal and -shm files 0600 whatever the umask', () => {
    const file = join(tempDir(), 'g.db');
    const umask = process.umask(0o022);
    try {
      const db = openConnection(file);
      db.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
      for (const f of [file, `${file}-wal`, `${file}-shm`]) expect(statSync(f).mode & 0o777).toBe(0o600);
      db.close();
    } finally {
      process.umask(umask);
    }
  });

  it('tightens an existing database file left 0644 by an older Gatehouse', () => {
    const file = join(tempDir(), 'g.db');
    new Database(file).close();
    chmodSync(file, 0o644);
    openConnection(file).close();
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});
