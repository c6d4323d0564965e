import type { AuditEntry } from '../../../shared/domain';
import type { AuditRow } from '../store/repositories';
import type { Store, UnitOfWork } from '../store/store';
import type { Clock } from './clock';

export interface AuditRecord {
  actor: string;
  action: string;
  targetType: 'token' | 'host' | 'settings' | 'certificate' | 'credential' | 'webhook' | 'expected_host' | 'rule';
  targetId?: string | null;
  /** Links the entries of one bulk action. */
  batchId?: string | null;
  /** Never a secret: callers pass descriptions, ids, prefixes, counts, addresses. */
  detail?: Record<string, unknown>;
}

export interface AuditListInput {
  limit?: number;
  before?: number;
  target_id?: string;
  actor?: string;
  action?: string;
  from?: string;
  to?: string;
}

const toEntry = (row: AuditRow): AuditEntry => ({
  id: row.id,
  at: new Date(row.at).toISOString(),
  actor: row.actor,
  action: row.action,
  target_type: row.target_type,
  target_id: row.target_id,
  batch_id: row.batch_id,
  detail: row.detail,
});

export function createAuditService(deps: { store: Store; clock: Clock }) {
  return {
    /** Records inside the unit of work of the change it describes, so both land or neither. */
    async record(tx: UnitOfWork, entry: AuditRecord): Promise<void> {
      await tx.audit.insert({
        at: deps.clock.now(),
        actor: entry.actor,
        action: entry.action,
        targetType: entry.targetType,
        targetId: entry.targetId ?? null,
        batchId: entry.batchId ?? null,
        detail: entry.detail ?? {},
      });
      tx.emit({ topic: 'audit', action: 'appended' });
    },

    /** Newest first; filtered by target, actor, action and time range. */
    async list(input: AuditListInput): Promise<{ entries: AuditEntry[]; next_cursor: number | null }> {
      const limit = input.limit ?? 100;
      const rows = await deps.store.read((r) =>
        r.audit.page({
          before: input.before,
          limit: limit + 1,
          targetId: input.target_id,
          actor: input.actor,
          action: input.action,
          from: input.from ? Date.parse(input.from) : undefined,
          to: input.to ? Date.parse(input.to) : undefined,
        }),
      );
      const entries = rows.slice(0, limit).map(toEntry);
      return { entries, next_cursor: rows.length > limit ? entries.at(-1)!.id : null };
    },
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
