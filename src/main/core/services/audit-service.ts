import type { AuditEntry } from '../../../shared/domain';
import type { AuditRepository } from '../repositories/audit-repository';
import type { Clock } from './clock';
import type { EventBus } from './event-bus';

export interface AuditRecord {
  actor: string;
  action: string;
  targetType: 'token' | 'host' | 'settings' | 'certificate';
  targetId?: string | null;
  /** Never a secret: callers pass descriptions, ids, prefixes, counts, addresses. */
  detail?: Record<string, unknown>;
}

export function createAuditService(deps: { audit: AuditRepository; clock: Clock; events: EventBus }) {
  return {
    /** Call inside the write transaction of the change it records, so both land or neither. */
    record(entry: AuditRecord): void {
      deps.audit.insert({
        at: deps.clock.now(),
        actor: entry.actor,
        action: entry.action,
        targetType: entry.targetType,
        targetId: entry.targetId ?? null,
        detail: entry.detail ?? {},
      });
      deps.events.publish({ topic: 'audit', action: entry.action, id: entry.targetId ?? undefined });
    },
    list(options: { limit?: number; before?: number }): { entries: AuditEntry[]; next_cursor: number | null } {
      const limit = options.limit ?? 100;
      const rows = deps.audit.page(options.before ?? Number.MAX_SAFE_INTEGER, limit + 1);
      const entries = rows.slice(0, limit).map((row) => ({
        id: row.id,
        at: new Date(row.at).toISOString(),
        actor: row.actor,
        action: row.action,
        target_type: row.target_type,
        target_id: row.target_id,
        detail: JSON.parse(row.detail) as Record<string, unknown>,
      }));
      return { entries, next_cursor: rows.length > limit ? entries.at(-1)!.id : null };
    },
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
