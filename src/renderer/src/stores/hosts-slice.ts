import type { BulkResult, Host, HostCountsView, HostStatus } from '../../../shared/domain';
import { bulkFilterOf, compareHosts, listInput, matchesQuery, type HostQuery } from './host-query';
import type { SliceCreator } from './types';

export type HostDecision = 'approve' | 'reject' | 'disable' | 'enable';
export type BulkAction = HostDecision | 'delete';
export type ListKey = 'queue' | 'table';

/** One server-paged list: the ids in order (rows live in `hostsById`), its total and where to go on. */
export interface HostList {
  query: HostQuery;
  ids: string[];
  total: number;
  cursor: string | null;
  loaded: boolean;
  loading: boolean;
  /** Bumped on every new query; answers for an older one are dropped. */
  generation: number;
}

/** Ticked rows, or "every row that matches" (`all`), with the anchor for shift-click ranges. */
export interface Selection {
  ids: string[];
  all: boolean;
  anchor: string | null;
}

export interface HostsSlice {
  hostsById: Record<string, Host>;
  lists: Record<ListKey, HostList>;
  selection: Record<ListKey, Selection>;
  counts: HostCountsView | null;
  loadCounts(): Promise<void>;
  /** The first page of a list (again), dropping what was loaded. */
  loadList(key: ListKey): Promise<void>;
  /** The next page by cursor, while the user scrolls. */
  loadMore(key: ListKey): Promise<void>;
  setQuery(key: ListKey, patch: Partial<HostQuery>): Promise<void>;
  /** Rows on screen, reported by the virtualiser: the window a count-only heartbeat refreshes. */
  setVisible(key: ListKey, ids: string[]): void;
  /** Fetches just these hosts and patches, inserts or removes them in every list. */
  refreshHosts(ids: string[], options?: { arrived?: boolean }): Promise<void>;
  /** Heartbeats: the loaded rows among `ids` are online now; nothing is fetched. */
  markSeen(ids: string[], at?: string): void;
  /** A heartbeat flush too large to name its hosts: fetch the rows on screen again. */
  refreshVisible(): Promise<void>;
  /** Each loaded list's total, and the counts, without reloading rows. */
  refreshTotals(): Promise<void>;
  decide(id: string, decision: HostDecision, reason?: string): Promise<Host | null>;
  deleteHost(id: string): Promise<boolean>;
  /** A bulk action on a list's selection (ids, or the list's filter when "all matching" is on). */
  bulkSelected(key: ListKey, action: BulkAction, reason?: string): Promise<boolean>;
  /** A bulk action on named hosts or on a server-side filter (every pending host of a token). */
  bulkAction(
    action: BulkAction,
    target: { ids: string[] } | { filter: { status: HostStatus; token_id?: string; expected_only?: boolean } },
    reason?: string,
  ): Promise<boolean>;
  /** Click toggles one row; shift-click selects the range from the anchor. */
  toggleSelected(key: ListKey, id: string, options?: { range?: boolean }): void;
  setSelected(key: ListKey, ids: string[]): void;
  /** Every row that matches the list's filter, loaded or not. */
  selectAllMatching(key: ListKey, all: boolean): void;
  /** How many hosts the selection names. */
  selectionCount(key: ListKey): number;
  /** Every host of a list, page by page (CSV export, bulk on a filter the server cannot express). */
  collectAll(key: ListKey, onProgress?: (n: number) => void): Promise<Host[]>;
}

export const PAGE_SIZE = 100;
/** Ids per `hosts.list({ids})` call: 200 hosts with full facts stay far under 1 MB. */
export const IDS_CHUNK = 200;
/** Past this many unknown changed hosts, reloading the first page is cheaper than fetching each. */
const UNKNOWN_FETCH_LIMIT = 200;
const BULK_LIMIT = 5000;

const VERB: Record<BulkAction, string> = {
  approve: 'approved',
  reject: 'rejected',
  disable: 'disabled',
  enable: 'enabled',
  delete: 'deleted',
};

const emptyList = (query: HostQuery): HostList => ({
  query,
  ids: [],
  total: 0,
  cursor: null,
  loaded: false,
  loading: false,
  generation: 0,
});
const emptySelection = (): Selection => ({ ids: [], all: false, anchor: null });
const chunks = <T>(items: T[], size: number) =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, i * size + size));

/** Puts `host` where the list's order says, or leaves it out when it falls past the loaded window. */
function place(list: HostList, host: Host, rows: Record<string, Host>): HostList {
  if (!list.loaded) return list;
  const at = list.ids.indexOf(host.id);
  const matches = matchesQuery(host, list.query);
  if (!matches) {
    if (at < 0) return list;
    return { ...list, ids: list.ids.filter((id) => id !== host.id), total: Math.max(0, list.total - 1) };
  }
  const ids = at < 0 ? list.ids : list.ids.filter((id) => id !== host.id);
  const compare = compareHosts(list.query.sort);
  let index = ids.findIndex((id) => rows[id] && compare(host, rows[id]!) < 0);
  if (index < 0) {
    // After every loaded row: only ours to show when nothing more is to come from the server.
    if (list.cursor !== null) {
      return at < 0 ? list : { ...list, ids, total: list.total };
    }
    index = ids.length;
  }
  return {
    ...list,
    ids: [...ids.slice(0, index), host.id, ...ids.slice(index)],
    total: at < 0 ? list.total + 1 : list.total,
  };
}

function removeFrom(list: HostList, id: string): HostList {
  if (!list.ids.includes(id)) return list;
  return { ...list, ids: list.ids.filter((x) => x !== id), total: Math.max(0, list.total - 1) };
}

export const createHostsSlice: SliceCreator<HostsSlice> = (client) => (set, get) => {
  const visible: Record<ListKey, string[]> = { queue: [], table: [] };
  const keys: ListKey[] = ['queue', 'table'];

  const setList = (key: ListKey, list: HostList) => set({ lists: { ...get().lists, [key]: list } });

  async function fetchPage(key: ListKey, cursor: string | null) {
    const list = get().lists[key];
    const generation = list.generation;
    setList(key, { ...list, loading: true });
    const page = await client.api['hosts.list']({
      ...listInput(list.query),
      limit: PAGE_SIZE,
      ...(cursor ? { cursor } : {}),
    } as never);
    const current = get().lists[key];
    if (current.generation !== generation) return;
    const rows = { ...get().hostsById };
    for (const h of page.hosts) rows[h.id] = h;
    const known = new Set(cursor ? current.ids : []);
    const fresh = page.hosts.map((h) => h.id).filter((id) => !known.has(id));
    set({
      hostsById: rows,
      lists: {
        ...get().lists,
        [key]: {
          ...current,
          ids: cursor ? [...current.ids, ...fresh] : fresh,
          cursor: page.next_cursor,
          total: page.total_count,
          loaded: true,
          loading: false,
        },
      },
    });
  }

  /** Patches rows and re-places them in every list; ids missing from `hosts` are gone. */
  function applyHosts(hosts: Host[], gone: string[]) {
    const rows = { ...get().hostsById };
    for (const h of hosts) rows[h.id] = h;
    for (const id of gone) delete rows[id];
    const lists = { ...get().lists };
    const selection = { ...get().selection };
    for (const key of keys) {
      let list = lists[key];
      for (const id of gone) list = removeFrom(list, id);
      for (const h of hosts) list = place(list, h, rows);
      lists[key] = list;
      const inList = new Set(list.ids);
      const sel = selection[key];
      // A host that left the list (approved, deleted) can no longer be ticked in it.
      if (sel.ids.some((id) => !inList.has(id) && (gone.includes(id) || rows[id]))) {
        selection[key] = { ...sel, ids: sel.ids.filter((id) => inList.has(id)) };
      }
    }
    // A host that left the queue is no longer news.
    const queued = new Set(lists.queue.ids);
    const unseen = get().unseenHostIds;
    const stillNew = unseen.filter((id) => queued.has(id) || !rows[id]);
    set({ hostsById: rows, lists, selection, ...(stillNew.length < unseen.length ? { unseenHostIds: stillNew } : {}) });
  }

  return {
    hostsById: {},
    lists: {
      queue: emptyList({ status: 'PENDING', sort: 'registered_at' }),
      table: emptyList({ sort: '-registered_at' }),
    },
    selection: { queue: emptySelection(), table: emptySelection() },
    counts: null,

    loadCounts: () =>
      get().attempt(async () => {
        set({ counts: await client.api['hosts.counts']({}) });
      }, undefined),

    loadList: (key) => get().attempt(() => fetchPage(key, null), undefined),

    async loadMore(key) {
      const list = get().lists[key];
      if (!list.loaded || list.loading || list.cursor === null) return;
      await get().attempt(() => fetchPage(key, list.cursor), undefined);
    },

    async setQuery(key, patch) {
      const list = get().lists[key];
      const query = { ...list.query, ...patch };
      for (const k of Object.keys(query) as (keyof HostQuery)[]) if (query[k] === undefined) delete query[k];
      setList(key, { ...emptyList(query), generation: list.generation + 1, total: list.total });
      set({ selection: { ...get().selection, [key]: emptySelection() } });
      await get().loadList(key);
    },

    setVisible(key, ids) {
      visible[key] = ids;
    },

    refreshHosts: (ids, options = {}) =>
      get().attempt(async () => {
        const rows = get().hostsById;
        const known = ids.filter((id) => rows[id]);
        const unknown = ids.filter((id) => !rows[id]);
        const wanted = options.arrived || unknown.length <= UNKNOWN_FETCH_LIMIT ? ids : known;
        const fetched: Host[] = [];
        for (const part of chunks(wanted, IDS_CHUNK)) {
          const page = await client.api['hosts.list']({ ids: part, limit: part.length } as never);
          fetched.push(...page.hosts);
        }
        const found = new Set(fetched.map((h) => h.id));
        applyHosts(
          fetched,
          wanted.filter((id) => !found.has(id)),
        );
        if (options.arrived) {
          const arrived = fetched.filter((h) => h.status === 'PENDING' && !get().unseenHostIds.includes(h.id));
          if (arrived.length) set({ unseenHostIds: [...get().unseenHostIds, ...arrived.map((h) => h.id)] });
        }
        if (wanted.length < ids.length) {
          // Thousands changed that we have not loaded: the windows may have shifted.
          await Promise.all(keys.filter((k) => get().lists[k].loaded).map((k) => get().loadList(k)));
        }
      }, undefined),

    markSeen(ids, at = new Date().toISOString()) {
      const rows = get().hostsById;
      const changed = ids
        .filter((id) => rows[id])
        .map((id) => ({ ...rows[id]!, connectivity: 'ONLINE' as const, last_seen_at: at }));
      if (changed.length) applyHosts(changed, []);
    },

    refreshVisible: async () => {
      const ids = [...new Set([...visible.queue, ...visible.table])];
      if (ids.length) await get().refreshHosts(ids);
    },

    refreshTotals: () =>
      get().attempt(async () => {
        const [counts, ...totals] = await Promise.all([
          client.api['hosts.counts']({}),
          ...keys.map((k) =>
            get().lists[k].loaded
              ? client.api['hosts.list']({ ...listInput(get().lists[k].query), limit: 1 } as never)
              : null,
          ),
        ]);
        const lists = { ...get().lists };
        keys.forEach((k, i) => {
          const page = totals[i];
          if (page) lists[k] = { ...lists[k], total: page.total_count };
        });
        set({ counts, lists });
      }, undefined),

    decide: (id, decision, reason) =>
      get().attempt(async () => {
        const host = await client.api[`hosts.${decision}`]({ id, ...(reason ? { reason } : {}) });
        applyHosts([host], []);
        get().notify('info', `${host.hostname} ${VERB[decision]}.`);
        void get().refreshTotals();
        return host;
      }, null),

    deleteHost: (id) =>
      get().attempt(async () => {
        const hostname = get().hostsById[id]?.hostname ?? 'The host';
        await client.api['hosts.delete']({ id });
        applyHosts([], [id]);
        get().notify('info', `${hostname} deleted.`);
        void get().refreshTotals();
        return true;
      }, false),

    async bulkSelected(key, action, reason) {
      const sel = get().selection[key];
      if (!sel.all) return get().bulkAction(action, { ids: sel.ids }, reason);
      const filter = bulkFilterOf(get().lists[key].query);
      if (filter) return get().bulkAction(action, { filter }, reason);
      const total = get().lists[key].total;
      if (total > BULK_LIMIT) {
        get().notify(
          'error',
          `${total} hosts match; one bulk action takes at most ${BULK_LIMIT}. Narrow the filter to a status or token.`,
        );
        return false;
      }
      const hosts = await get().attempt(() => get().collectAll(key), null);
      if (!hosts) return false;
      return get().bulkAction(action, { ids: hosts.map((h) => h.id) }, reason);
    },

    bulkAction: (action, target, reason) =>
      get().attempt(async () => {
        const result: BulkResult = await client.api['hosts.bulk']({
          action,
          ...target,
          ...(reason ? { reason } : {}),
        } as never);
        const failed = result.results.filter((r) => !r.ok);
        const done = result.results.length - failed.length;
        set({ selection: { queue: emptySelection(), table: emptySelection() } });
        await get().refreshHosts(result.results.map((r) => r.id));
        void get().refreshTotals();
        get().notify(
          failed.length ? 'error' : 'info',
          `${done} host${done === 1 ? '' : 's'} ${VERB[action]}` +
            (failed.length ? `; ${failed.length} could not be: ${failed[0]!.error?.message ?? ''}` : '.'),
        );
        return failed.length === 0;
      }, false),

    toggleSelected(key, id, options = {}) {
      const sel = get().selection[key];
      const ids = get().lists[key].ids;
      let next: string[];
      if (options.range && sel.anchor && ids.includes(sel.anchor) && ids.includes(id)) {
        const [a, b] = [ids.indexOf(sel.anchor), ids.indexOf(id)].sort((x, y) => x - y);
        const range = ids.slice(a!, b! + 1);
        const add = !sel.ids.includes(id);
        const set = new Set(sel.ids);
        for (const r of range)
          if (add) set.add(r);
          else set.delete(r);
        next = [...set];
      } else {
        next = sel.ids.includes(id) ? sel.ids.filter((s) => s !== id) : [...sel.ids, id];
      }
      set({ selection: { ...get().selection, [key]: { ids: next, all: false, anchor: id } } });
    },

    setSelected: (key, ids) =>
      set({ selection: { ...get().selection, [key]: { ids, all: false, anchor: ids.at(-1) ?? null } } }),

    selectAllMatching: (key, all) =>
      set({
        selection: {
          ...get().selection,
          [key]: all ? { ids: [...get().lists[key].ids], all: true, anchor: null } : emptySelection(),
        },
      }),

    selectionCount(key) {
      const sel = get().selection[key];
      return sel.all ? get().lists[key].total : sel.ids.length;
    },

    async collectAll(key, onProgress) {
      const query = get().lists[key].query;
      const all: Host[] = [];
      let cursor: string | null = null;
      do {
        const page: { hosts: Host[]; next_cursor: string | null } = await client.api['hosts.list']({
          ...listInput(query),
          limit: 250,
          ...(cursor ? { cursor } : {}),
        } as never);
        all.push(...page.hosts);
        onProgress?.(all.length);
        cursor = page.next_cursor;
      } while (cursor !== null);
      return all;
    },
  };
};
