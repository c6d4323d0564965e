import type { HostStatus } from '../../../shared/domain';
import type { HostRecord } from '../store/repositories';

/** What the heartbeat path needs of a host: small, so 100,000 of them stay a few MB. */
export interface CachedHost {
  id: string;
  hostname: string;
  status: HostStatus;
  reject_reason: string | null;
  last_seen_at: number | null;
  /** The presented credential is the host's current one (not its rotated-to successor). */
  current: boolean;
}

/**
 * Host credential look-ups kept in memory, keyed by credential hash. Every change to a
 * host invalidates its entries the moment it commits (the caller wires this to the
 * store's commit events), so a disabled, rejected, deleted or rotated host is refused
 * on its very next request.
 */
export function createCredentialCache(options: { maxEntries?: number } = {}) {
  const max = options.maxEntries ?? 200_000;
  // Keys are the 32 hash bytes as a one-byte string, and a host's keys a plain array
  // (one, two while rotating): 100,000 hosts cost a few tens of MB, not hundreds.
  const byHash = new Map<string, CachedHost>();
  const hashesOf = new Map<string, string[]>();
  const keyOf = (hash: Buffer) => hash.toString('latin1');

  function drop(key: string): void {
    const entry = byHash.get(key);
    if (!entry) return;
    byHash.delete(key);
    const rest = (hashesOf.get(entry.id) ?? []).filter((k) => k !== key);
    if (rest.length) hashesOf.set(entry.id, rest);
    else hashesOf.delete(entry.id);
  }

  return {
    get: (hash: Buffer) => byHash.get(keyOf(hash)),
    set(hash: Buffer, host: HostRecord, current: boolean): void {
      const key = keyOf(hash);
      if (!byHash.has(key) && byHash.size >= max) drop(byHash.keys().next().value!);
      byHash.set(key, {
        id: host.id,
        hostname: host.hostname,
        status: host.status,
        reject_reason: host.reject_reason,
        last_seen_at: host.last_seen_at,
        current,
      });
      const keys = hashesOf.get(host.id) ?? [];
      if (!keys.includes(key)) hashesOf.set(host.id, [...keys, key]);
    },
    invalidate(hostId: string): void {
      for (const key of hashesOf.get(hostId) ?? []) drop(key);
    },
    clear(): void {
      byHash.clear();
      hashesOf.clear();
    },
    get size(): number {
      return byHash.size;
    },
  };
}

export type CredentialCache = ReturnType<typeof createCredentialCache>;
