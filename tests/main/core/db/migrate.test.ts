import Database from 'better-sqlite3';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../../../src/main/core/db/connection';
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
  it('opens in WAL with synchronous=FULL, foreign keys and a busy timeout', () => {
    const db = openDatabase(join(tempDir(), 'g.db'));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('busy_timeout', { simple: true })).toBeGreaterThanOrEqual(1000);
    db.close();
  });
});
