import type { HOST_SORT_VALUES } from '../../../shared/api/schemas';
import type { Connectivity, Host, HostStatus } from '../../../shared/domain';
import { hostSearchText, type HostSearchInput } from '../../../shared/host-search';

export type HostSort = (typeof HOST_SORT_VALUES)[number];

/** What one paged list asks the server for (the same fields as `hosts.list`, minus paging). */
export interface HostQuery {
  status?: HostStatus;
  connectivity?: Connectivity;
  q?: string;
  token_id?: string;
  label?: string;
  sort: HostSort;
}

/** The search text's words, as the server splits them (each must match somewhere). */
export function queryWords(q: string | undefined): string[] {
  return (q ?? '').toLowerCase().split(/\s+/).filter(Boolean);
}

/**
 * Whether a host belongs in a list, by the server's rules, so a changed row can be
 * placed or dropped without asking for the whole list again. Connectivity is the
 * host's as last reported (the server computes it at read time).
 */
export function matchesQuery(host: Host, query: HostQuery): boolean {
  if (query.status && host.status !== query.status) return false;
  if (query.connectivity && host.connectivity !== query.connectivity) return false;
  if (query.token_id && host.token_id !== query.token_id) return false;
  if (query.label && !host.labels.includes(query.label)) return false;
  const words = queryWords(query.q);
  if (words.length) {
    const text = hostSearchText(host as HostSearchInput);
    if (!words.every((w) => text.includes(w))) return false;
  }
  return true;
}

const KEY: Record<string, (h: Host) => string | null> = {
  registered_at: (h) => h.registered_at,
  hostname: (h) => h.hostname,
  last_seen_at: (h) => h.last_seen_at,
  status: (h) => h.status,
};

/**
 * The server's order for `sort`: by the column, then by id; ascending puts nulls
 * first, descending puts them last (exactly the reverse order).
 */
export function compareHosts(sort: HostSort): (a: Host, b: Host) => number {
  const descending = sort.startsWith('-');
  const key = KEY[sort.replace(/^-/, '')]!;
  const ascending = (a: Host, b: Host) => {
    const [x, y] = [key(a), key(b)];
    if (x !== y) {
      if (x === null) return -1;
      if (y === null) return 1;
      return x < y ? -1 : 1;
    }
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  };
  return descending ? (a, b) => ascending(b, a) : ascending;
}

/** The input for `hosts.list` from a query: empty fields left out. */
export function listInput(query: HostQuery): Record<string, string> {
  const out: Record<string, string> = { sort: query.sort };
  for (const key of ['status', 'connectivity', 'token_id', 'label'] as const) {
    if (query[key]) out[key] = query[key]!;
  }
  const q = query.q?.trim();
  if (q) out.q = q;
  return out;
}

/** The bulk `filter` equivalent of a query, when there is one (status, optionally one token, nothing else). */
export function bulkFilterOf(query: HostQuery): { status: HostStatus; token_id?: string } | null {
  if (!query.status || query.connectivity || query.label || queryWords(query.q).length) return null;
  return { status: query.status, ...(query.token_id ? { token_id: query.token_id } : {}) };
}
