import type { Statement } from 'better-sqlite3';
import type { Db } from '../db/connection';
import type { AuditRepository, AuditRow } from '../store/repositories';

type Row = Omit<AuditRow, 'detail'> & { detail: string };

function toRow(row: Row): AuditRow {
  let detail: Record<string, unknown> = {};
  try {
    detail = JSON.parse(row.detail) as Record<string, unknown>;
  } catch {
    // A damaged detail reads as empty; the entry itself stays visible.
  }
  return { ...row, detail };
}

export function createAuditRepository(db: Db): AuditRepository {
  const insert = db.prepare(`
    INSERT INTO audit_log (at, actor, action, target_type, target_id, batch_id, detail)
    VALUES (@at, @actor, @action, @targetType, @targetId, @batchId, @detail)`);
  const statements = new Map<string, Statement<unknown[]>>();
  const prepared = (sql: string) => {
    let stmt = statements.get(sql);
    if (!stmt) statements.set(sql, (stmt = db.prepare<unknown[]>(sql)));
    return stmt;
  };
  return {
    async insert(entry) {
      insert.run({ ...entry, detail: JSON.stringify(entry.detail) });
    },
    async insertMany(entries) {
      for (const entry of entries) insert.run({ ...entry, detail: JSON.stringify(entry.detail) });
    },
    async page(q) {
      const clauses = ['id < ?'];
      const params: unknown[] = [q.before ?? Number.MAX_SAFE_INTEGER];
      const filters: [string, unknown][] = [
        ['target_id = ?', q.targetId],
        ['actor = ?', q.actor],
        ['action = ?', q.action],
        ['at >= ?', q.from],
        ['at < ?', q.to],
      ];
      for (const [clause, value] of filters) {
        if (value === undefined) continue;
        clauses.push(clause);
        params.push(value);
      }
      const sql = `SELECT * FROM audit_log WHERE ${clauses.join(' AND ')} ORDER BY id DESC LIMIT ?`;
      return (prepared(sql).all(...params, q.limit) as Row[]).map(toRow);
    },
  };
}
