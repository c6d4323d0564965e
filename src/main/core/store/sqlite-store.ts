import { ApiError } from '../../../shared/api/errors';
import { openConnection, type Db } from '../db/connection';
import { migrate } from '../db/migrate';
import { MIGRATIONS } from '../db/migrations';
import { createApprovalRuleRepository } from '../repositories/approval-rule-repository';
import { createAuditRepository } from '../repositories/audit-repository';
import { createCredentialRepository } from '../repositories/credential-repository';
import { createExpectedHostRepository } from '../repositories/expected-host-repository';
import { createHostRepository } from '../repositories/host-repository';
import { createIdempotencyRepository } from '../repositories/idempotency-repository';
import { createSettingsRepository } from '../repositories/settings-repository';
import { createTokenRepository } from '../repositories/token-repository';
import { createWebhookRepository } from '../repositories/webhook-repository';
import { createEngineStore } from './engine-store';
import type { EngineTransaction } from './group-commit';
import type { Repositories, Store } from './store';

export interface SqliteStoreOptions {
  /** better-sqlite3 binary for another ABI (Electron); omitted under Node. */
  nativeBinding?: string;
  /** How long a write waits for another process's write lock before answering STORE_UNAVAILABLE. */
  lockWaitMs?: number;
}

/** SQLite result codes that mean "the store cannot take this write now", not "the request is wrong". */
const UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|FULL|READONLY|IOERR|CANTOPEN|PROTOCOL|NOMEM|CORRUPT|NOTADB)/;

/** Maps a store fault to the contract's 503; anything else passes through unchanged. */
export function classifySqliteError(error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !UNAVAILABLE.test(code)) return error;
  const reason = /FULL/.test(code)
    ? 'its disk or database is full'
    : /READONLY/.test(code)
      ? 'its database is read-only'
      : /BUSY|LOCKED/.test(code)
        ? 'another process holds its write lock'
        : 'its database cannot be written';
  return new ApiError(
    'STORE_UNAVAILABLE',
    `Gatehouse cannot save right now: ${reason}. Try again shortly.`,
    undefined,
    2,
  );
}

export function sqliteRepositories(db: Db): Repositories {
  return {
    tokens: createTokenRepository(db),
    hosts: createHostRepository(db),
    audit: createAuditRepository(db),
    idempotency: createIdempotencyRepository(db),
    settings: createSettingsRepository(db),
    credentials: createCredentialRepository(db),
    expectedHosts: createExpectedHostRepository(db),
    approvalRules: createApprovalRuleRepository(db),
    webhooks: createWebhookRepository(db),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The SQLite engine: one write connection driven by the group committer, and one
 * read connection (WAL readers never wait for the writer and see committed data only).
 *
 * WAL with synchronous=FULL: every acknowledged write survives kill -9 and power loss.
 * The write lock is taken with BEGIN IMMEDIATE and no busy wait inside SQLite (which
 * would block the event loop); while another process holds the lock, the begin is
 * retried on timers and gives up with STORE_UNAVAILABLE after `lockWaitMs`.
 */
export function openSqliteStore(file: string, options: SqliteStoreOptions = {}): Store & { writer: Db; reader: Db } {
  const writer = openConnection(file, options);
  writer.pragma('busy_timeout = 5000'); // only for the migration below
  migrate(writer, MIGRATIONS);
  writer.pragma('busy_timeout = 0');
  const reader = openConnection(file, options);
  reader.pragma('busy_timeout = 1000');
  reader.pragma('query_only = ON');
  const lockWaitMs = options.lockWaitMs ?? 3_000;
  const writeRepos = sqliteRepositories(writer);

  // Prepared once: transaction control runs several times per batch.
  const statement = (sql: string) => {
    const prepared = writer.prepare(sql);
    return async () => void prepared.run();
  };
  const beginImmediate = writer.prepare('BEGIN IMMEDIATE');
  const transaction: EngineTransaction = {
    repositories: writeRepos,
    isOpen: () => writer.inTransaction,
    savepoint: statement('SAVEPOINT unit'),
    release: statement('RELEASE unit'),
    rollbackToSavepoint: statement('ROLLBACK TO unit'),
    commit: statement('COMMIT'),
    rollback: async () => {
      if (writer.inTransaction) writer.exec('ROLLBACK');
    },
  };

  async function begin(): Promise<EngineTransaction> {
    const deadline = Date.now() + lockWaitMs;
    for (let wait = 5; ; wait = Math.min(wait * 2, 200)) {
      try {
        beginImmediate.run();
        return transaction;
      } catch (error) {
        const code = (error as { code?: string }).code ?? '';
        if (!/^SQLITE_BUSY/.test(code) || Date.now() >= deadline) throw error;
      }
      await sleep(Math.min(wait, Math.max(1, deadline - Date.now())));
    }
  }

  const store = createEngineStore({
    engine: 'sqlite',
    begin,
    classify: classifySqliteError,
    reader: sqliteRepositories(reader),
    async close() {
      reader.close();
      writer.close();
    },
  });
  return Object.assign(store, { writer, reader });
}
