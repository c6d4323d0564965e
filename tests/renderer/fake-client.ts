import type { AdminClient } from '../../src/shared/api/client';
import { AdminCallError } from '../../src/shared/api/client';
import type { AdminApi } from '../../src/shared/api/operations';
import type { AdminEvent, Host, HostCountsView, RegistrationToken } from '../../src/shared/domain';
import { compareHosts, matchesQuery, type HostSort } from '../../src/renderer/src/stores/host-query';

type ListInput = {
  status?: Host['status'];
  connectivity?: Host['connectivity'];
  q?: string;
  token_id?: string;
  label?: string;
  ids?: string[];
  sort?: HostSort;
  cursor?: string;
  limit?: number;
};

/**
 * An in-memory AdminClient: records calls, answers `hosts.list` like the server (filters,
 * ids, sort, cursor pages, totals), emits events on demand.
 */
export function fakeClient(overrides: Partial<AdminApi> = {}) {
  const calls: { name: string; input: unknown }[] = [];
  const listeners = new Set<(e: AdminEvent) => void>();
  const hosts: Host[] = [];
  const tokens: RegistrationToken[] = [];
  const base: Record<string, (input: never) => unknown> = {
    'hosts.list': (input: ListInput) => {
      const sort = input.sort ?? '-registered_at';
      const matching = hosts
        .filter((h) => matchesQuery(h, { ...input, sort }) && (!input.ids || input.ids.includes(h.id)))
        .sort(compareHosts(sort));
      const start = input.cursor ? Number(input.cursor) : 0;
      const limit = input.limit ?? 100;
      const page = matching.slice(start, start + limit);
      const next = start + limit < matching.length ? String(start + limit) : null;
      return { hosts: page.map((h) => ({ ...h })), next_cursor: next, total_count: matching.length };
    },
    'hosts.counts': (): HostCountsView => {
      const count = (f: (h: Host) => boolean) => hosts.filter(f).length;
      const approved = (c: Host['connectivity']) => count((h) => h.status === 'APPROVED' && h.connectivity === c);
      return {
        by_status: {
          PENDING: count((h) => h.status === 'PENDING'),
          APPROVED: count((h) => h.status === 'APPROVED'),
          REJECTED: count((h) => h.status === 'REJECTED'),
          DISABLED: count((h) => h.status === 'DISABLED'),
        },
        by_connectivity: { ONLINE: approved('ONLINE'), OFFLINE: approved('OFFLINE'), NEVER: approved('NEVER') },
        total: hosts.length,
      };
    },
    'tokens.list': () => ({ tokens: [...tokens], total_count: tokens.length }),
  };
  const api = new Proxy({} as AdminApi, {
    get: (_t, name: string) => async (input: unknown) => {
      calls.push({ name, input });
      const fn = (overrides as Record<string, (i: unknown) => unknown>)[name] ?? base[name];
      if (!fn) throw new AdminCallError('NOT_FOUND', `fake has no ${name}`);
      return fn(input as never);
    },
  });
  const client: AdminClient = {
    api,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  const callsOf = (name: string) => calls.filter((c) => c.name === name).map((c) => c.input as ListInput);
  return { client, calls, callsOf, hosts, tokens, emit: (e: AdminEvent) => listeners.forEach((l) => l(e)) };
}

let serial = 0;

/** A host as the server sends it; ids sort in creation order. */
export function host(over: Partial<Host> = {}): Host {
  serial++;
  return {
    id: `00000000-0000-4000-8000-${String(serial).padStart(12, '0')}`,
    hostname: `node-${serial}`,
    machine_id: `machine-${String(serial).padStart(8, '0')}`,
    status: 'PENDING',
    connectivity: 'NEVER',
    remote_addr: '10.0.0.1',
    ips: [],
    os: 'Debian 12',
    arch: 'x86_64',
    labels: [],
    token_id: null,
    token_prefix: 'GATE-ABCD',
    verification_code: '123456',
    replaces: null,
    replaces_hostname: null,
    replaced_by: null,
    conflict: false,
    expected: null,
    alarm: null,
    facts: null,
    registered_at: new Date(Date.UTC(2026, 0, 1) + serial * 1000).toISOString(),
    decided_at: null,
    decided_by: null,
    reject_reason: null,
    last_seen_at: null,
    ...over,
  };
}
