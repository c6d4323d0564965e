import type { Db } from '../db/connection';
import { writeTransaction } from '../db/connection';
import type { HostRepository } from '../repositories/host-repository';

/**
 * Coalesces heartbeats: each is noted in memory and written in one transaction per
 * flush, so thousands of hosts beating every 30 s cost one fsync per flush, not one
 * per beat. Reads see the newest time through {@link lastSeen}. The contract allows
 * heartbeat times to be coalesced; every other write is durable when acknowledged.
 */
export function createHeartbeatRecorder(deps: { db: Db; hosts: HostRepository }) {
  const pending = new Map<string, number>();
  return {
    record(hostId: string, at: number): void {
      pending.set(hostId, Math.max(at, pending.get(hostId) ?? 0));
    },
    lastSeen(hostId: string, stored: number | null): number | null {
      const noted = pending.get(hostId);
      return noted === undefined ? stored : Math.max(noted, stored ?? 0);
    },
    forget(hostId: string): void {
      pending.delete(hostId);
    },
    flush(): number {
      if (pending.size === 0) return 0;
      const batch = [...pending];
      pending.clear();
      writeTransaction(deps.db, () => {
        for (const [id, at] of batch) deps.hosts.touchLastSeen(id, at);
      });
      return batch.length;
    },
  };
}

export type HeartbeatRecorder = ReturnType<typeof createHeartbeatRecorder>;
