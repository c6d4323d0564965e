import type { AdminEvent } from '../../../shared/domain';
import type {
  ApprovalRuleRepository,
  AuditRepository,
  CredentialRepository,
  ExpectedHostRepository,
  HostRepository,
  IdempotencyRepository,
  SettingsRepository,
  TokenRepository,
  WebhookRepository,
} from './repositories';

/** Every repository, bound to one connection (a unit of work's, or a reader's). */
export interface Repositories {
  tokens: TokenRepository;
  hosts: HostRepository;
  audit: AuditRepository;
  idempotency: IdempotencyRepository;
  settings: SettingsRepository;
  credentials: CredentialRepository;
  expectedHosts: ExpectedHostRepository;
  approvalRules: ApprovalRuleRepository;
  webhooks: WebhookRepository;
}

/**
 * One request's share of a write transaction: the repositories (its writes), and
 * the events it announces. Events are published only after the transaction that
 * holds the unit commits; a unit rolled back to its savepoint announces nothing.
 */
export interface UnitOfWork extends Repositories {
  emit(event: AdminEvent): void;
}

/**
 * What services know of the store, whatever engine is behind it (SQLite here,
 * PostgreSQL in team mode).
 *
 * - `write` runs a unit of work. Units that arrive in one turn of the event loop share
 *   one transaction and one durable commit (group commit); each unit runs inside its own
 *   savepoint, so one unit's refusal or failure never fails its neighbours. The promise
 *   settles only after that commit: an acknowledged write is a durable write.
 * - `read` sees committed state only.
 * - A store that cannot take a write right now (busy, full, read-only) rejects with
 *   `STORE_UNAVAILABLE`; it recovers by itself when the fault clears.
 */
export interface Store {
  readonly engine: 'sqlite' | 'postgres';
  write<T>(work: (uow: UnitOfWork) => Promise<T>): Promise<T>;
  read<T>(work: (repos: Repositories) => Promise<T>): Promise<T>;
  /** Called after each commit with the events it released (the process's event bus). */
  onCommit(listener: (events: AdminEvent[]) => void): () => void;
  /** Observes commit latency and batch size (metrics). */
  onBatch(listener: (stats: { seconds: number; units: number }) => void): () => void;
  close(): Promise<void>;
}
