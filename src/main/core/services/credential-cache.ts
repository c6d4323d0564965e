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
  const byHash = new Map<string, CachedHost>();
  const hashesOf = new Map<string, Set<string>>();

  function drop(hash: string): void {
    const entry = byHash.get(hash);
    if (!entry) return;
    byHash.delete(hash);
    const set = hashesOf.get(entry.id);
    set?.delete(hash);
    if (set?.size === 0) hashesOf.delete(entry.id);
  }

  return {
    get: (hash: Buffer) => byHash.get(hash.toString('base64')),
    set(hash: Buffer, host: HostRecord, current: boolean): void {
      const key = hash.toString('base64');
      if (byHash.size >= max) drop(byHash.keys().next().value!);
      byHash.set(key, {
        id: host.id,
        hostname: host.hostname,
        status: host.status,
        reject_reason: host.reject_reason,
        last_seen_at: host.last_seen_at,
        current,
      });
      let set = hashesOf.get(host.id);
      if (!set) hashesOf.set(host.id, (set = new Set()));
      set.add(key);
    },
    invalidate(hostId: string): void {
      for (const hash of [...(hashesOf.get(hostId) ?? [])]) drop(hash);
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
