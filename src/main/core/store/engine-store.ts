import type { AdminEvent } from '../../../shared/domain';
import { createGroupCommitter, type EngineTransaction } from './group-commit';
import type { Repositories, Store } from './store';

/** What an engine brings; the rest of a {@link Store} is the same for every engine. */
export interface Engine {
  engine: Store['engine'];
  /** Opens a write transaction; rejects when the store cannot take one. */
  begin(): Promise<EngineTransaction>;
  /** Turns an engine error into STORE_UNAVAILABLE where it is a store fault. */
  classify(error: unknown): unknown;
  /** Repositories on a connection that sees committed data only. */
  reader: Repositories;
  /** Called after each commit that released events (PostgreSQL tells the other servers). */
  afterCommit?(events: AdminEvent[]): void;
  /** Releases the engine's connections, after every queued unit has been answered. */
  close(): Promise<void>;
}

/**
 * A store from an engine: group-committed writes, committed reads, and commit listeners.
 * `publish` hands events that committed elsewhere (another server) to the same listeners.
 */
export function createEngineStore(engine: Engine): Store & { publish(events: AdminEvent[]): void } {
  const commitListeners = new Set<(events: AdminEvent[]) => void>();
  const batchListeners = new Set<(stats: { seconds: number; units: number }) => void>();
  const publish = (events: AdminEvent[]) => {
    for (const listener of commitListeners) listener(events);
  };
  const committer = createGroupCommitter({
    begin: engine.begin,
    classify: engine.classify,
    onCommitted(events, stats) {
      for (const listener of batchListeners) listener(stats);
      if (!events.length) return;
      publish(events);
      engine.afterCommit?.(events);
    },
  });
  return {
    engine: engine.engine,
    publish,
    write: (work) => committer.write(work),
    async read(work) {
      try {
        return await work(engine.reader);
      } catch (error) {
        throw engine.classify(error);
      }
    },
    onCommit(listener) {
      commitListeners.add(listener);
      return () => commitListeners.delete(listener);
    },
    onBatch(listener) {
      batchListeners.add(listener);
      return () => batchListeners.delete(listener);
    },
    async close() {
      await committer.idle();
      await engine.close();
    },
  };
}
