import type { AdminClient } from '../../src/shared/api/client';
import { AdminCallError } from '../../src/shared/api/client';
import type { AdminApi } from '../../src/shared/api/operations';
import type { AdminEvent, Host, RegistrationToken } from '../../src/shared/domain';

/** An in-memory AdminClient: records calls, answers from fixtures, emits events on demand. */
export function fakeClient(overrides: Partial<AdminApi> = {}) {
  const calls: { name: string; input: unknown }[] = [];
  const listeners = new Set<(e: AdminEvent) => void>();
  const hosts: Host[] = [];
  const tokens: RegistrationToken[] = [];
  const base: Partial<AdminApi> = {
    'hosts.list': async () => ({ hosts: [...hosts], total_count: hosts.length }),
    'tokens.list': async () => ({ tokens: [...tokens], total_count: tokens.length }),
  };
  const api = new Proxy({} as AdminApi, {
    get: (_t, name: string) => async (input: unknown) => {
      calls.push({ name, input });
      const fn =
        (overrides as Record<string, (i: unknown) => unknown>)[name] ??
        (base as Record<string, (i: unknown) => unknown>)[name];
      if (!fn) throw new AdminCallError('NOT_FOUND', `fake has no ${name}`);
      return fn(input);
    },
  });
  const client: AdminClient = {
    api,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return { client, calls, hosts, tokens, emit: (e: AdminEvent) => listeners.forEach((l) => l(e)) };
}

export function host(over: Partial<Host> = {}): Host {
  return {
    id: crypto.randomUUID(),
    hostname: 'node-1',
    machine_id: 'machine-0001',
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
    registered_at: '2026-01-01T00:00:00.000Z',
    decided_at: null,
    decided_by: null,
    reject_reason: null,
    last_seen_at: null,
    ...over,
  };
}
