import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate } from '../../../../src/main/core/db/migrate';
import { MIGRATIONS } from '../../../../src/main/core/db/migrations';
import { initial } from '../../../../src/main/core/db/migrations/0001-initial';
import { fleet } from '../../../../src/main/core/db/migrations/0002-fleet';
import { openSqliteStore, sqliteRepositories } from '../../../../src/main/core/store/sqlite-store';
import { tempDir } from '../../../helpers/temp-dir';

const T0 = Date.parse('2026-01-01T00:00:00Z');

/** A database as Gatehouse 0001 left it: a token, hosts in every status, their audit trail. */
function seedVersion1(db: Database.Database): void {
  migrate(db, [initial]);
  db.prepare(
    `INSERT INTO registration_tokens (id, token_hash, prefix, expires_at, max_uses, use_count, created_at, created_by)
     VALUES ('tok-1', ?, 'GATE-AAAA', ?, 0, 5, ?, 'admin')`,
  ).run(randomBytes(32), T0 + 3_600_000, T0);
  const host = db.prepare(
    `INSERT INTO hosts (id, hostname, machine_id, status, remote_addr, ips, labels, token_id, token_prefix,
       verification_code, credential_hash, registered_at, last_seen_at)
     VALUES (@id, @hostname, @machine, @status, '10.0.0.' || @n, @ips, @labels, 'tok-1', 'GATE-AAAA', '123456',
       @hash, @at, @seen)`,
  );
  const rows = [
    ['h-approved', 'Web-01', 'APPROVED', '["rack=b12"]', T0 + 60_000],
    ['h-pending', 'db-02', 'PENDING', '[]', null],
    ['h-disabled', 'gpu-03', 'DISABLED', '["gpu"]', T0],
    ['h-rejected-after', 'old-04', 'REJECTED', '[]', T0],
    ['h-rejected-never', 'clone-05', 'REJECTED', '[]', null],
  ] as const;
  rows.forEach(([id, hostname, status, labels, seen], i) =>
    host.run({
      id,
      hostname,
      machine: `machine-${id}`,
      status,
      n: i + 1,
      ips: `["192.0.2.${i + 1}"]`,
      labels,
      hash: randomBytes(32),
      at: T0 + i,
      seen,
    }),
  );
  const audit = db.prepare(
    "INSERT INTO audit_log (at, actor, action, target_type, target_id, detail) VALUES (?, 'admin', ?, 'host', ?, '{}')",
  );
  audit.run(T0, 'host.approved', 'h-rejected-after');
  audit.run(T0 + 1, 'host.rejected', 'h-rejected-after');
  audit.run(T0 + 2, 'host.rejected', 'h-rejected-never');
}

describe('0002-fleet', () => {
  it('replays an empty in-memory database through 0001 and 0002', () => {
    const db = new Database(':memory:');
    expect(migrate(db, [initial, fleet])).toBe(2);
    const columns = db.prepare("SELECT name FROM pragma_table_info('hosts')").pluck().all();
    expect(columns).toEqual(
      expect.arrayContaining([
        'facts',
        'system_uuid',
        'serial',
        'conflict',
        'expected',
        'alarm',
        'ever_approved',
        'search_text',
      ]),
    );
    expect(db.prepare("SELECT name FROM pragma_table_info('audit_log')").pluck().all()).toContain('batch_id');
  });

  it('keeps every row of a version-1 database and fills the new columns from it', () => {
    const db = new Database(':memory:');
    seedVersion1(db);
    expect(migrate(db, MIGRATIONS)).toBe(MIGRATIONS.length);
    const hosts = db
      .prepare('SELECT id, status, ever_approved, conflict, facts, search_text FROM hosts ORDER BY registered_at')
      .all();
    expect(hosts).toEqual([
      {
        id: 'h-approved',
        status: 'APPROVED',
        ever_approved: 1,
        conflict: 0,
        facts: null,
        search_text: expect.stringContaining('web-01'),
      },
      {
        id: 'h-pending',
        status: 'PENDING',
        ever_approved: 0,
        conflict: 0,
        facts: null,
        search_text: expect.any(String),
      },
      {
        id: 'h-disabled',
        status: 'DISABLED',
        ever_approved: 1,
        conflict: 0,
        facts: null,
        search_text: expect.any(String),
      },
      {
        id: 'h-rejected-after',
        status: 'REJECTED',
        ever_approved: 1,
        conflict: 0,
        facts: null,
        search_text: expect.any(String),
      },
      {
        id: 'h-rejected-never',
        status: 'REJECTED',
        ever_approved: 0,
        conflict: 0,
        facts: null,
        search_text: expect.any(String),
      },
    ]);
    const approved = hosts[0] as { search_text: string };
    for (const part of ['web-01', '10.0.0.1', '192.0.2.1', 'rack=b12', 'machine-h-approved']) {
      expect(approved.search_text).toContain(part);
    }
    expect(db.prepare('SELECT use_count FROM registration_tokens').pluck().get()).toBe(5);
    expect(db.prepare('SELECT COUNT(*) FROM audit_log WHERE batch_id IS NULL').pluck().get()).toBe(3);
    const indexes = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index'").pluck().all();
    expect(indexes).toEqual(
      expect.arrayContaining([
        'hosts_registered',
        'hosts_hostname',
        'hosts_last_seen',
        'hosts_system_uuid',
        'audit_at',
      ]),
    );
  });

  it('leaves a migrated database that the repositories page, search and count', async () => {
    const db = new Database(':memory:');
    seedVersion1(db);
    migrate(db, MIGRATIONS);
    const repos = sqliteRepositories(db);
    const found = await repos.hosts.query({
      terms: ['WEB', 'rack=b12'],
      sort: 'hostname',
      descending: false,
      limit: 10,
      onlineSince: T0,
    });
    expect(found.hosts.map((h) => h.id)).toEqual(['h-approved']);
    expect(found.hosts[0]).toMatchObject({ ever_approved: true, labels: ['rack=b12'], facts: null, conflict: false });
    const counts = await repos.hosts.counts(T0 + 30_000);
    expect(counts.byStatus).toEqual({ PENDING: 1, APPROVED: 1, REJECTED: 2, DISABLED: 1 });
    expect(counts.byConnectivity).toEqual({ ONLINE: 1, OFFLINE: 0, NEVER: 0 });
  });

  it('is applied when a store opens a version-1 file', async () => {
    const file = join(tempDir(), 'v1.db');
    const v1 = new Database(file);
    seedVersion1(v1);
    v1.close();
    const store = openSqliteStore(file);
    try {
      expect(store.writer.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
      const rejected = await store.read((r) => r.hosts.findById('h-rejected-after'));
      expect(rejected).toMatchObject({ status: 'REJECTED', ever_approved: true, retired_at: null });
    } finally {
      await store.close();
    }
  });
});
