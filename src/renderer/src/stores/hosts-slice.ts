import type { Host, HostStatus } from '../../../shared/domain';
import type { SliceCreator } from './types';

export type HostDecision = 'approve' | 'reject' | 'disable' | 'enable';

export interface HostsSlice {
  hosts: Host[];
  hostsLoaded: boolean;
  /** Selected requests in the approval queue, for bulk decisions. */
  selectedIds: string[];
  statusFilter: HostStatus | 'ALL';
  search: string;
  loadHosts(): Promise<void>;
  decide(id: string, decision: HostDecision, reason?: string): Promise<boolean>;
  bulkDecide(action: 'approve' | 'reject', ids: string[], reason?: string): Promise<boolean>;
  deleteHost(id: string): Promise<boolean>;
  toggleSelected(id: string): void;
  setSelected(ids: string[]): void;
  setStatusFilter(filter: HostStatus | 'ALL'): void;
  setSearch(search: string): void;
}

const VERB: Record<HostDecision, string> = {
  approve: 'approved',
  reject: 'rejected',
  disable: 'disabled',
  enable: 'enabled',
};

export const createHostsSlice: SliceCreator<HostsSlice> = (client) => (set, get) => ({
  hosts: [],
  hostsLoaded: false,
  selectedIds: [],
  statusFilter: 'ALL',
  search: '',
  loadHosts: () =>
    get().attempt(async () => {
      const { hosts } = await client.api['hosts.list']({});
      const known = new Set(get().hosts.map((h) => h.id));
      const arrived = get().hostsLoaded
        ? hosts.filter((h) => h.status === 'PENDING' && !known.has(h.id)).map((h) => h.id)
        : [];
      const live = new Set(hosts.map((h) => h.id));
      set({
        hosts,
        hostsLoaded: true,
        selectedIds: get().selectedIds.filter((id) => live.has(id)),
        unseenHostIds: [...get().unseenHostIds.filter((id) => live.has(id)), ...arrived],
      });
    }, undefined),
  decide: (id, decision, reason) =>
    get().attempt(async () => {
      const host = await client.api[`hosts.${decision}`]({ id, ...(reason ? { reason } : {}) });
      set({
        hosts: get().hosts.map((h) => (h.id === id ? host : h)),
        selectedIds: get().selectedIds.filter((s) => s !== id),
      });
      get().notify('info', `${host.hostname} ${VERB[decision]}.`);
      return true;
    }, false),
  bulkDecide: (action, ids, reason) =>
    get().attempt(async () => {
      const { results } = await client.api['hosts.bulk']({ action, ids, ...(reason ? { reason } : {}) });
      const failed = results.filter((r) => !r.ok);
      const done = results.length - failed.length;
      set({ selectedIds: [] });
      await get().loadHosts();
      get().notify(
        failed.length ? 'error' : 'info',
        `${done} host${done === 1 ? '' : 's'} ${VERB[action]}` +
          (failed.length ? `; ${failed.length} could not be: ${failed[0]!.error?.message ?? ''}` : '.'),
      );
      return failed.length === 0;
    }, false),
  deleteHost: (id) =>
    get().attempt(async () => {
      await client.api['hosts.delete']({ id });
      set({ hosts: get().hosts.filter((h) => h.id !== id) });
      return true;
    }, false),
  toggleSelected(id) {
    const selected = get().selectedIds;
    set({ selectedIds: selected.includes(id) ? selected.filter((s) => s !== id) : [...selected, id] });
  },
  setSelected: (selectedIds) => set({ selectedIds }),
  setStatusFilter: (statusFilter) => set({ statusFilter }),
  setSearch: (search) => set({ search }),
});
