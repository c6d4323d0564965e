import type {
  AuditRepository,
  AuditRow,
  CredentialRecord,
  CredentialRepository,
  IdempotencyRepository,
  IdempotencyRow,
  SettingsRepository,
} from '../../repositories';
import { placeholders, type Sql } from './sql';

type AuditText = Omit<AuditRow, 'detail'> & { detail: string };

function toAuditRow(row: AuditText): AuditRow {
  let detail: Record<string, unknown> = {};
  try {
    detail = JSON.parse(row.detail) as Record<string, unknown>;
  } catch {
    // A damaged detail reads as empty; the entry itself stays visible.
  }
  return { ...row, detail };
}

/** The audit log; one INSERT per batch of entries (a bulk decision's thousands in one statement). */
export function createPgAuditRepository(sql: Sql): AuditRepository {
  const insertMany: AuditRepository['insertMany'] = async (entries) => {
    if (!entries.length) return;
    await sql.run(
      `INSERT INTO audit_log (at, actor, action, target_type, target_id, batch_id, detail)
       SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])`,
      [
        entries.map((e) => e.at),
        entries.map((e) => e.actor),
        entries.map((e) => e.action),
        entries.map((e) => e.targetType),
        entries.map((e) => e.targetId),
        entries.map((e) => e.batchId),
        entries.map((e) => JSON.stringify(e.detail)),
      ],
    );
  };
  return {
    insert: (entry) => insertMany([entry]),
    insertMany,
    async page(q) {
      const { params, p } = placeholders();
      const clauses = [`id < ${p(q.before ?? Number.MAX_SAFE_INTEGER)}`];
      const filters: [string, unknown][] = [
        ['target_id', q.targetId],
        ['actor', q.actor],
        ['action', q.action],
      ];
      for (const [column, value] of filters) if (value !== undefined) clauses.push(`${column} = ${p(value)}`);
      if (q.from !== undefined) clauses.push(`at >= ${p(q.from)}`);
      if (q.to !== undefined) clauses.push(`at < ${p(q.to)}`);
      const rows = await sql.rows<AuditText>(
        `SELECT id, at, actor, action, target_type, target_id, detail, batch_id FROM audit_log
          WHERE ${clauses.join(' AND ')} ORDER BY id DESC LIMIT ${p(q.limit)}`,
        params,
      );
      return rows.map(toAuditRow);
    },
  };
}

/** Remembered registrations; the response (with its credential) is stored sealed. */
export function createPgIdempotencyRepository(sql: Sql): IdempotencyRepository {
  return {
    find: (key) => sql.one<IdempotencyRow>('SELECT * FROM idempotency_records WHERE key = $1', [key]),
    async insert(r) {
      await sql.run(
        `INSERT INTO idempotency_records (key, request_hash, host_id, response_sealed, created_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (key) DO UPDATE SET request_hash = excluded.request_hash, host_id = excluded.host_id,
           response_sealed = excluded.response_sealed, created_at = excluded.created_at`,
        [r.key, r.requestHash, r.hostId, r.responseSealed, r.createdAt],
      );
    },
    async deleteOlderThan(cutoff) {
      await sql.run('DELETE FROM idempotency_records WHERE created_at < $1', [cutoff]);
    },
  };
}

/** Key/value settings stored as JSON text. */
export function createPgSettingsRepository(sql: Sql): SettingsRepository {
  return {
    async readAll() {
      const result: Record<string, unknown> = {};
      for (const { key, value } of await sql.rows<{ key: string; value: string }>('SELECT key, value FROM settings')) {
        try {
          result[key] = JSON.parse(value);
        } catch {
          // A damaged value falls back to the default.
        }
      }
      return result;
    },
    async write(key, value) {
      await sql.run(
        'INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
        [key, JSON.stringify(value)],
      );
    },
  };
}

const CREDENTIAL_COLUMNS = 'id, name, scope, prefix, created_at, created_by, expires_at, revoked_at, last_used_at';

/** Named admin credentials: only the hash of each secret is stored. */
export function createPgCredentialRepository(sql: Sql): CredentialRepository {
  return {
    async insert(r) {
      await sql.run(
        `INSERT INTO admin_credentials (id, name, scope, credential_hash, prefix, created_at, created_by, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [r.id, r.name, r.scope, r.credentialHash, r.prefix, r.created_at, r.created_by, r.expires_at],
      );
    },
    findByHash: (hash) =>
      sql.one<CredentialRecord>(`SELECT ${CREDENTIAL_COLUMNS} FROM admin_credentials WHERE credential_hash = $1`, [
        hash,
      ]),
    findByName: (name) =>
      sql.one<CredentialRecord>(`SELECT ${CREDENTIAL_COLUMNS} FROM admin_credentials WHERE name = $1`, [name]),
    list: () =>
      sql.rows<CredentialRecord>(`SELECT ${CREDENTIAL_COLUMNS} FROM admin_credentials ORDER BY created_at, id`),
    async revoke(id, now) {
      return (
        (await sql.run('UPDATE admin_credentials SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL', [
          id,
          now,
        ])) === 1
      );
    },
    async touch(id, now) {
      await sql.run('UPDATE admin_credentials SET last_used_at = $2 WHERE id = $1', [id, now]);
    },
  };
}
