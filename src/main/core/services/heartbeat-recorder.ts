import type { Store } from '../store/store';

/** A flush names the hosts that beat when there are at most this many; past that only the count travels. */
const IDS_IN_EVENT = 500;
/** Rows written per commit of a flush. */
const FLUSH_SLICE = 2_000;

/**
 * Coalesces heartbeats: each is noted in memory and written in one transaction per
 * flush, so thousands of hosts beating every 30 s cost one commit per flush, not one
 * per beat. Reads see the newest time through {@link lastSeen}. A flush the store
 * refuses keeps its batch for the next one: no beat is lost to a store fault.
 */
export function createHeartbeatRecorder(deps: { store: Store }) {
  let pending = new Map<string, number>();
  let inFlight = new Map<string, number>();

  const record = (hostId: string, at: number) => pending.set(hostId, Math.max(at, pending.get(hostId) ?? 0));

  return {
    record,
    lastSeen(hostId: string, stored: number | null): number | null {
      const noted = Math.max(pending.get(hostId) ?? 0, inFlight.get(hostId) ?? 0);
      return noted === 0 ? stored : Math.max(noted, stored ?? 0);
    },
    forget(hostId: string): void {
      pending.delete(hostId);
      inFlight.delete(hostId);
    },
    /** Writes what was noted; resolves to how many hosts were written (0 if nothing was). */
    async flush(): Promise<number> {
      if (pending.size === 0 || inFlight.size > 0) return 0;
      inFlight = pending;
      pending = new Map();
      const batch = [...inFlight];
      try {
        // In slices, each its own commit: 100,000 hosts beating never hold the loop for long.
        for (let start = 0; start < batch.length; start += FLUSH_SLICE) {
          const slice = batch.slice(start, start + FLUSH_SLICE);
          await deps.store.write(async (tx) => {
            await tx.hosts.touchLastSeen(slice);
            tx.emit({
              topic: 'hosts',
              action: 'heartbeats',
              count: slice.length,
              ...(slice.length <= IDS_IN_EVENT ? { ids: slice.map(([id]) => id) } : {}),
            });
          });
          for (const [id] of slice) inFlight.delete(id);
        }
        return batch.length;
      } catch (error) {
        // Put back what was not written (newer beats noted meanwhile win), and let the caller log it.
        for (const [id, at] of inFlight) record(id, at);
        throw error;
      } finally {
        inFlight = new Map();
      }
    },
    /** Hosts noted but not yet written. */
    get backlog(): number {
      return pending.size + inFlight.size;
    },
  };
}

export type HeartbeatRecorder = ReturnType<typeof createHeartbeatRecorder>;
