import type { HostFacts } from '../../../shared/api/schemas';
import type { Scope } from '../../../shared/api/scopes';
import type { Connectivity, ExpectedMatch, HostAlarm, HostStatus } from '../../../shared/domain';

/**
 * The repository interfaces every store engine implements. They hold data access
 * only; rules live in the services. Every method is asynchronous so that an engine
 * reached over the network (PostgreSQL) fits the same shape as SQLite.
 */

export interface TokenRecord {
  id: string;
  token_hash: Buffer;
  token_sealed: Buffer | null;
  prefix: string;
  description: string;
  expires_at: number;
  max_uses: number;
  use_count: number;
  labels: string[];
  auto_approve: boolean;
  allowed_cidrs: string[];
  failed_attempt_count: number;
  last_failed_source: string | null;
  last_failed_at: number | null;
  created_at: number;
  created_by: string;
  revoked_at: number | null;
  last_used_at: number | null;
  /** Hosts registered with it are deleted after this long offline; null: kept. */
  ephemeral_offline_minutes: number | null;
}

export interface NewToken {
  id: string;
  tokenHash: Buffer;
  tokenSealed: Buffer | null;
  prefix: string;
  description: string;
  expiresAt: number;
  maxUses: number;
  labels: string[];
  autoApprove: boolean;
  allowedCidrs: string[];
  createdAt: number;
  createdBy: string;
}

export interface TokenRepository {
  insert(token: NewToken): Promise<void>;
  findById(id: string): Promise<TokenRecord | undefined>;
  findByHash(hash: Buffer): Promise<TokenRecord | undefined>;
  list(options: { includeExpired: boolean; now: number }): Promise<TokenRecord[]>;
  /** Takes one use if the token is still valid at `now`; false when none was left. Exact under any concurrency. */
  claimUse(id: string, now: number): Promise<boolean>;
  revoke(id: string, now: number): Promise<boolean>;
  delete(id: string): Promise<boolean>;
  recordFailure(id: string, source: string, now: number): Promise<void>;
  dropSealedCopy(id: string): Promise<void>;
  dropUnusableSealedCopies(now: number): Promise<number>;
  /** Hosts that registered with this token, oldest first; `limit` bounds the answer. */
  usedByNodes(id: string, limit?: number): Promise<{ host_id: string; hostname: string }[]>;
}

export interface HostRecord {
  id: string;
  hostname: string;
  machine_id: string;
  status: HostStatus;
  remote_addr: string;
  ips: string[];
  os: string | null;
  arch: string | null;
  labels: string[];
  facts: HostFacts | null;
  token_id: string | null;
  token_prefix: string | null;
  verification_code: string;
  replaces: string | null;
  replaces_hostname: string | null;
  conflict: boolean;
  expected: ExpectedMatch | null;
  alarm: HostAlarm | null;
  ever_approved: boolean;
  registered_at: number;
  decided_at: number | null;
  decided_by: string | null;
  reject_reason: string | null;
  last_seen_at: number | null;
  retired_at: number | null;
  replaced_by: string | null;
}

export interface NewHost {
  id: string;
  hostname: string;
  machineId: string;
  status: HostStatus;
  remoteAddr: string;
  ips: string[];
  os: string | null;
  arch: string | null;
  labels: string[];
  facts: HostFacts | null;
  tokenId: string | null;
  tokenPrefix: string | null;
  verificationCode: string;
  replaces: string | null;
  conflict: boolean;
  expected: ExpectedMatch | null;
  alarm: HostAlarm | null;
  credentialHash: Buffer;
  registeredAt: number;
  decidedAt: number | null;
  decidedBy: string | null;
}

export const HOST_SORTS = ['registered_at', 'hostname', 'last_seen_at', 'status'] as const;
export type HostSortKey = (typeof HOST_SORTS)[number];

export interface HostQuery {
  status?: HostStatus;
  connectivity?: Connectivity;
  /** Terms that must all match (hostname, address, label, machine id, serial, MAC). */
  terms?: string[];
  tokenId?: string;
  label?: string;
  /** Only requests that matched an expected row and carry no alarm (what "approve all expected" takes). */
  expectedOnly?: boolean;
  /** ids to fetch (the UI patching rows an event named). */
  ids?: string[];
  sort: HostSortKey;
  descending: boolean;
  /** Keyset position: the sort value and id of the last row of the previous page. */
  after?: { value: string | number | null; id: string };
  limit: number;
  /** For the connectivity filter: a host is ONLINE when last seen after this instant. */
  onlineSince: number;
}

export interface HostCounts {
  byStatus: Record<HostStatus, number>;
  /** Among approved hosts. */
  byConnectivity: Record<Connectivity, number>;
  total: number;
  /** The least recent heartbeat among online hosts (for the heartbeat-age gauge). */
  oldestOnlineSeenAt: number | null;
}

export interface HostRepository {
  insert(host: NewHost): Promise<void>;
  findById(id: string): Promise<HostRecord | undefined>;
  /** Hosts of this machine that are not retired. */
  findByMachineId(machineId: string): Promise<HostRecord[]>;
  /** Unretired hosts whose reported system UUID or serial is one of these. */
  findByHardware(identity: { systemUuid?: string; serial?: string }): Promise<HostRecord[]>;
  findByCredentialHash(hash: Buffer): Promise<{ host: HostRecord; current: boolean } | undefined>;
  query(query: HostQuery): Promise<{ hosts: HostRecord[]; total: number }>;
  counts(onlineSince: number): Promise<HostCounts>;
  /** Ids of unretired hosts in a status, optionally from one token (bulk decisions by filter). */
  idsWhere(filter: { status: HostStatus; tokenId?: string; expectedOnly?: boolean }, limit: number): Promise<string[]>;
  setStatus(id: string, status: HostStatus, now: number, actor: string, reason?: string | null): Promise<void>;
  setConflict(ids: string[], conflict: boolean): Promise<void>;
  setAlarm(id: string, alarm: HostAlarm | null): Promise<void>;
  retire(id: string, now: number, replacedBy: string | null): Promise<void>;
  delete(id: string): Promise<boolean>;
  promoteNextCredential(id: string): Promise<void>;
  setNextCredential(id: string, hash: Buffer): Promise<void>;
  touchLastSeen(beats: [id: string, at: number][]): Promise<void>;
}

export interface AuditRow {
  id: number;
  at: number;
  actor: string;
  action: string;
  target_type: string;
  target_id: string | null;
  batch_id: string | null;
  detail: Record<string, unknown>;
}

export interface NewAuditEntry {
  at: number;
  actor: string;
  action: string;
  targetType: string;
  targetId: string | null;
  batchId: string | null;
  detail: Record<string, unknown>;
}

export interface AuditQuery {
  before?: number;
  limit: number;
  targetId?: string;
  actor?: string;
  action?: string;
  from?: number;
  to?: number;
}

export interface AuditRepository {
  insert(entry: NewAuditEntry): Promise<void>;
  insertMany(entries: NewAuditEntry[]): Promise<void>;
  /** Newest first, strictly older than `before` (an entry id), matching the filters. */
  page(query: AuditQuery): Promise<AuditRow[]>;
}

export interface IdempotencyRow {
  key: string;
  request_hash: Buffer;
  host_id: string;
  response_sealed: Buffer;
  created_at: number;
}

export interface IdempotencyRepository {
  find(key: string): Promise<IdempotencyRow | undefined>;
  insert(record: {
    key: string;
    requestHash: Buffer;
    hostId: string;
    responseSealed: Buffer;
    createdAt: number;
  }): Promise<void>;
  deleteOlderThan(cutoff: number): Promise<void>;
}

export interface SettingsRepository {
  readAll(): Promise<Record<string, unknown>>;
  write(key: string, value: unknown): Promise<void>;
}

export interface CredentialRecord {
  id: string;
  name: string;
  scope: Scope;
  prefix: string;
  created_at: number;
  created_by: string;
  expires_at: number | null;
  revoked_at: number | null;
  last_used_at: number | null;
}

export interface CredentialRepository {
  insert(record: CredentialRecord & { credentialHash: Buffer }): Promise<void>;
  findByHash(hash: Buffer): Promise<CredentialRecord | undefined>;
  findByName(name: string): Promise<CredentialRecord | undefined>;
  list(): Promise<CredentialRecord[]>;
  revoke(id: string, now: number): Promise<boolean>;
  touch(id: string, now: number): Promise<void>;
}

export interface ExpectedHostRecord {
  id: string;
  import_id: string;
  line: number;
  hostname: string;
  serial: string | null;
  system_uuid: string | null;
  mac: string | null;
  labels: string[];
  position: string | null;
  auto_approve: boolean;
  claimed_by: string | null;
  claimed_at: number | null;
  created_at: number;
  created_by: string;
}

export type NewExpectedHost = Omit<ExpectedHostRecord, 'claimed_by' | 'claimed_at'>;

/**
 * Expected hosts (rack imports) and the rack columns of tokens and hosts: a token bound
 * to one row (enrolment sheet), a token's and a host's ephemeral offline time.
 */
export interface ExpectedHostRepository {
  insertMany(rows: NewExpectedHost[]): Promise<void>;
  findById(id: string): Promise<ExpectedHostRecord | undefined>;
  /** Rows (claimed or not) carrying any of these identifiers. */
  findByIdentifiers(ids: { serials: string[]; systemUuids: string[]; macs: string[] }): Promise<ExpectedHostRecord[]>;
  list(options: { importId?: string; limit: number }): Promise<ExpectedHostRecord[]>;
  count(): Promise<number>;
  claim(id: string, hostId: string, now: number): Promise<void>;
  /** The row a token was minted for (enrolment sheet), if any. */
  rowOfToken(tokenId: string): Promise<ExpectedHostRecord | undefined>;
  /** Active tokens bound to rows of an import: row id → token id. */
  bindToken(tokenId: string, rowId: string): Promise<void>;
  tokensOfImport(importId: string): Promise<{ row_id: string; token_id: string }[]>;
  setTokenEphemeral(tokenId: string, minutes: number | null): Promise<void>;
  setHostEphemeral(hostId: string, minutes: number | null): Promise<void>;
  /** Ephemeral hosts whose last sign of life (heartbeat, else registration) is older than their limit. */
  staleEphemeralHosts(now: number, limit: number): Promise<{ id: string; hostname: string; minutes: number }[]>;
  /** Approved hosts silent since before `cutoff` (last heartbeat, else registration). */
  silentApprovedHosts(
    cutoff: number,
    limit: number,
  ): Promise<{ id: string; hostname: string; last_seen_at: number | null }[]>;
}

export interface ApprovalRuleMatch {
  vendor?: string;
  model?: string;
  cidr?: string;
  label?: string;
  token_id?: string;
}

export interface ApprovalRuleRecord {
  id: string;
  name: string;
  position: number;
  enabled: boolean;
  match: ApprovalRuleMatch;
  max_count: number;
  used_count: number;
  created_at: number;
  created_by: string;
}

export interface ApprovalRuleRepository {
  insert(rule: Omit<ApprovalRuleRecord, 'used_count'>): Promise<void>;
  findById(id: string): Promise<ApprovalRuleRecord | undefined>;
  /** In evaluation order. */
  list(): Promise<ApprovalRuleRecord[]>;
  update(
    id: string,
    patch: { name?: string; enabled?: boolean; match?: ApprovalRuleMatch; max_count?: number },
  ): Promise<void>;
  setPositions(order: string[]): Promise<void>;
  /** Takes one approval from the rule's cap; false when none is left (exact under concurrency). */
  claimUse(id: string): Promise<boolean>;
  delete(id: string): Promise<boolean>;
}

export interface WebhookRecord {
  id: string;
  url: string;
  events: string[];
  preset: string | null;
  enabled: boolean;
  created_at: number;
  created_by: string;
}

export interface WebhookDeliveryRecord {
  id: string;
  webhook_id: string;
  event: string;
  /** The exact bytes sent (signed at send time); never holds a secret. */
  body: string;
  attempt: number;
  state: 'pending' | 'delivered' | 'failed';
  next_attempt_at: number | null;
  last_status: number | null;
  last_error: string | null;
  last_duration_ms: number | null;
  created_at: number;
  delivered_at: number | null;
}

export interface NewWebhookDelivery {
  /** Derived from the webhook and the event's subject, so the same event is queued once (team mode, rescans). */
  id: string;
  webhookId: string;
  event: string;
  body: string;
  createdAt: number;
  nextAttemptAt: number;
}

export interface WebhookAttempt {
  attempt: number;
  state: 'pending' | 'delivered' | 'failed';
  nextAttemptAt: number | null;
  status: number | null;
  error: string | null;
  durationMs: number | null;
  deliveredAt: number | null;
}

/** Webhooks (secrets sealed) and their delivery queue, which is also the delivery log. */
export interface WebhookRepository {
  insert(hook: WebhookRecord & { secretSealed: Buffer }): Promise<void>;
  findById(id: string): Promise<(WebhookRecord & { secret_sealed: Buffer }) | undefined>;
  list(): Promise<WebhookRecord[]>;
  delete(id: string): Promise<boolean>;
  /** Queues deliveries; one whose id is already queued is skipped. Answers how many were new. */
  enqueue(deliveries: NewWebhookDelivery[]): Promise<number>;
  /** Pending deliveries due at `now`, oldest first. */
  due(now: number, limit: number): Promise<WebhookDeliveryRecord[]>;
  /** Takes a due delivery for one attempt (moves it to `leaseUntil`); false when another sender took it. */
  claim(id: string, now: number, leaseUntil: number): Promise<boolean>;
  recordAttempt(id: string, attempt: WebhookAttempt): Promise<void>;
  findDelivery(id: string): Promise<WebhookDeliveryRecord | undefined>;
  /** A webhook's log, newest first. */
  deliveries(webhookId: string, limit: number): Promise<WebhookDeliveryRecord[]>;
}
