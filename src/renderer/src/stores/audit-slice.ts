import type { AuditEntry } from '../../../shared/domain';
import type { SliceCreator } from './types';

/** The server-side audit filters (times as ISO 8601). */
export interface AuditFilter {
  target_id?: string;
  actor?: string;
  action?: string;
  from?: string;
  to?: string;
}

export interface AuditSlice {
  auditFilter: AuditFilter;
  setAuditFilter(filter: AuditFilter): Promise<void>;
  auditEntries: AuditEntry[];
  auditCursor: number | null;
  auditLoaded: boolean;
  auditLoading: boolean;
  loadAudit(): Promise<void>;
  loadMoreAudit(): Promise<void>;
  /** Every entry, following cursors, for the CSV export; reports progress. */
  loadAllAudit(onProgress?: (loaded: number) => void): Promise<AuditEntry[]>;
}

const PAGE = 200;

const clean = (filter: AuditFilter): AuditFilter =>
  Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== undefined && v !== '')) as AuditFilter;

export const createAuditSlice: SliceCreator<AuditSlice> = (client) => (set, get) => ({
  auditFilter: {},
  async setAuditFilter(filter) {
    set({ auditFilter: clean(filter) });
    await get().loadAudit();
  },
  auditEntries: [],
  auditCursor: null,
  auditLoaded: false,
  auditLoading: false,
  loadAudit: () =>
    get().attempt(async () => {
      const page = await client.api['audit.list']({ ...get().auditFilter, limit: PAGE });
      set({ auditEntries: page.entries, auditCursor: page.next_cursor, auditLoaded: true });
    }, undefined),
  async loadMoreAudit() {
    const cursor = get().auditCursor;
    if (cursor === null || get().auditLoading) return;
    set({ auditLoading: true });
    await get().attempt(async () => {
      const page = await client.api['audit.list']({ ...get().auditFilter, limit: PAGE, before: cursor });
      set({ auditEntries: [...get().auditEntries, ...page.entries], auditCursor: page.next_cursor });
    }, undefined);
    set({ auditLoading: false });
  },
  async loadAllAudit(onProgress) {
    const all: AuditEntry[] = [];
    let before: number | undefined;
    for (;;) {
      const page = await client.api['audit.list']({ ...get().auditFilter, limit: 1000, ...(before ? { before } : {}) });
      all.push(...page.entries);
      onProgress?.(all.length);
      if (page.next_cursor === null) return all;
      before = page.next_cursor;
    }
  },
});
