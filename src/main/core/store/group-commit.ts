import type { AdminEvent } from '../../../shared/domain';
import type { Repositories, UnitOfWork } from './store';

/** One open write transaction of an engine, as the group committer drives it. */
export interface EngineTransaction {
  repositories: Repositories;
  /** False once the engine itself has ended the transaction (SQLite does so on SQLITE_FULL). */
  isOpen(): boolean;
  savepoint(): Promise<void>;
  release(): Promise<void>;
  rollbackToSavepoint(): Promise<void>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
}

export interface GroupCommitOptions {
  /** Opens a write transaction; rejects with STORE_UNAVAILABLE when the store cannot take one. */
  begin(): Promise<EngineTransaction>;
  /** Turns an engine error into the contract's STORE_UNAVAILABLE where it is a store fault. */
  classify(error: unknown): unknown;
  onCommitted(events: AdminEvent[], stats: { seconds: number; units: number }): void;
}

interface Pending {
  work: (uow: UnitOfWork) => Promise<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

type Outcome = { ok: true; value: unknown; events: AdminEvent[] } | { ok: false; error: unknown };

/** Host changes that end or replace a credential; the unit announces them so caches drop it. */
const CREDENTIAL_CHANGES = ['setStatus', 'retire', 'delete', 'promoteNextCredential', 'setNextCredential'] as const;

/**
 * The unit's view of the repositories: every host change that can end or replace a
 * credential is noted, whichever service made it, and announced after commit as one
 * `credentials_changed` event naming those hosts.
 */
function watchedRepositories(repositories: Repositories, touched: Set<string>): Repositories {
  const hosts = { ...repositories.hosts };
  for (const name of CREDENTIAL_CHANGES) {
    const original = repositories.hosts[name] as (id: string, ...rest: never[]) => Promise<unknown>;
    (hosts as Record<string, unknown>)[name] = (id: string, ...rest: never[]) => {
      touched.add(id);
      return original(id, ...rest);
    };
  }
  return { ...repositories, hosts };
}

/**
 * Group commit: every unit of work queued in one turn of the event loop runs in one
 * transaction, each inside its own savepoint, and is answered after the one commit.
 * A unit that throws is rolled back to its savepoint and answered with its error; its
 * neighbours commit. A failed commit fails the whole batch and announces nothing.
 */
export function createGroupCommitter(options: GroupCommitOptions) {
  let queue: Pending[] = [];
  let running: Promise<void> | null = null;
  let scheduled = false;

  async function runUnit(tx: EngineTransaction, unit: Pending): Promise<Outcome> {
    const events: AdminEvent[] = [];
    const touched = new Set<string>();
    const uow: UnitOfWork = {
      ...watchedRepositories(tx.repositories, touched),
      // An event naming nothing (`audit appended`) says the same each time: once per unit is enough.
      emit: (event) => {
        const bare = event.id === undefined && event.ids === undefined && event.count === undefined;
        if (bare && events.some((e) => e.topic === event.topic && e.action === event.action)) return;
        events.push(event);
      },
    };
    await tx.savepoint();
    try {
      const value = await unit.work(uow);
      await tx.release();
      if (touched.size) events.push({ topic: 'hosts', action: 'credentials_changed', ids: [...touched] });
      return { ok: true, value, events };
    } catch (error) {
      // The engine ended the whole transaction (a full disk): the batch fails with the cause.
      if (!tx.isOpen()) throw error;
      await tx.rollbackToSavepoint();
      await tx.release();
      return { ok: false, error: options.classify(error) };
    }
  }

  async function runBatch(batch: Pending[]): Promise<void> {
    const started = process.hrtime.bigint();
    let tx: EngineTransaction;
    try {
      tx = await options.begin();
    } catch (error) {
      // The store could not be had (another process's lock, past the wait): units that
      // queued meanwhile would only wait as long again, so they are answered now too.
      const failure = options.classify(error);
      const queuedMeanwhile = queue;
      queue = [];
      for (const unit of [...batch, ...queuedMeanwhile]) unit.reject(failure);
      return;
    }
    const outcomes: Outcome[] = [];
    try {
      for (const unit of batch) outcomes.push(await runUnit(tx, unit));
      await tx.commit();
    } catch (error) {
      await tx.rollback().catch(() => {});
      const failure = options.classify(error);
      for (const unit of batch) unit.reject(failure);
      return;
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    outcomes.forEach((outcome, i) => (outcome.ok ? batch[i]!.resolve(outcome.value) : batch[i]!.reject(outcome.error)));
    options.onCommitted(
      outcomes.flatMap((o) => (o.ok ? o.events : [])),
      { seconds, units: batch.length },
    );
  }

  async function drain(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue;
      queue = [];
      await runBatch(batch);
    }
    running = null;
  }

  function schedule(): void {
    if (scheduled || running) return;
    scheduled = true;
    // One turn of the event loop: every request that arrived in it joins this batch.
    setImmediate(() => {
      scheduled = false;
      running ??= drain();
    });
  }

  return {
    write<T>(work: (uow: UnitOfWork) => Promise<T>): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        queue.push({ work, resolve: resolve as (v: unknown) => void, reject });
        schedule();
      });
    },
    /** Resolves when every queued unit has been answered. */
    async idle(): Promise<void> {
      while (running || scheduled || queue.length) await (running ?? new Promise((r) => setImmediate(r)));
    },
  };
}
