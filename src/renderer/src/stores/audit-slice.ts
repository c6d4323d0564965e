import type { AuditEntry } from '../../../shared/domain';
import type { SliceCreator } from './types';

export interface AuditSlice {
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

export const createAuditSlice: SliceCreator<AuditSlice> = (client) => (set, get) => ({
  auditEntries: [],
  auditCursor: null,
  auditLoaded: false,
  auditLoading: false,
  loadAudit: () =>
    get().attempt(async () => {
      const page = await client.api['audit.list']({ limit: PAGE });
      set({ auditEntries: page.entries, auditCursor: page.next_cursor, auditLoaded: true });
    }, undefined),
  async loadMoreAudit() {
    const cursor = get().auditCursor;
    if (cursor === null || get().auditLoading) return;
    set({ auditLoading: true });
    await get().attempt(async () => {
      const page = await client.api['audit.list']({ limit: PAGE, before: cursor });
      set({ auditEntries: [...get().auditEntries, ...page.entries], auditCursor: page.next_cursor });
    }, undefined);
    set({ auditLoading: false });
  },
  async loadAllAudit(onProgress) {
    const all: AuditEntry[] = [];
    let before: number | undefined;
    for (;;) {
      const page = await client.api['audit.list']({ limit: 1000, ...(before ? { before } : {}) });
      all.push(...page.entries);
      onProgress?.(all.length);
      if (page.next_cursor === null) return all;
      before = page.next_cursor;
    }
  },
});
