import type { Db } from '../db/connection';

export interface AuditRow {
  id: number;
  at: number;
  actor: string;
  action: string;
  target_type: string;
  target_id: string | null;
  detail: string;
}

export interface NewAuditEntry {
  at: number;
  actor: string;
  action: string;
  targetType: string;
  targetId: string | null;
  detail: Record<string, unknown>;
}

export function createAuditRepository(db: Db) {
  const insert = db.prepare(`
    INSERT INTO audit_log (at, actor, action, target_type, target_id, detail)
    VALUES (@at, @actor, @action, @targetType, @targetId, @detail)`);
  const page = db.prepare<[number, number], AuditRow>('SELECT * FROM audit_log WHERE id < ? ORDER BY id DESC LIMIT ?');
  return {
    insert(entry: NewAuditEntry): number {
      return Number(insert.run({ ...entry, detail: JSON.stringify(entry.detail) }).lastInsertRowid);
    },
    /** Newest first, strictly older than `before` (an entry id), at most `limit`. */
    page(before: number, limit: number): AuditRow[] {
      return page.all(before, limit);
    },
  };
}

export type AuditRepository = ReturnType<typeof createAuditRepository>;
