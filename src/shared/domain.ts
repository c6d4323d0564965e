/** Domain objects as they travel over the admin API (times are ISO 8601 UTC). */

export const TOKEN_STATES = ['active', 'exhausted', 'expired', 'revoked'] as const;
export type TokenState = (typeof TOKEN_STATES)[number];

export const HOST_STATUSES = ['PENDING', 'APPROVED', 'REJECTED', 'DISABLED'] as const;
export type HostStatus = (typeof HOST_STATUSES)[number];

export type Connectivity = (typeof CONNECTIVITIES)[number];

export interface RegistrationToken {
  id: string;
  description: string;
  prefix: string;
  expires_at: string;
  max_uses: number;
  use_count: number;
  used_by_nodes: { host_id: string; hostname: string }[];
  labels: string[];
  auto_approve: boolean;
  allowed_cidrs: string[];
  failed_attempts: { count: number; last_source: string | null; last_at: string | null };
  created_at: string;
  created_by: string;
  revoked_at: string | null;
  last_used_at: string | null;
  /** Hosts registered with it are deleted after this long offline; null: kept. */
  ephemeral_offline_minutes: number | null;
  state: TokenState;
  is_valid: boolean;
}

/** Returned once, on creation (and on an explicit reveal of an active token). */
export interface TokenSecret {
  token: string;
  join_url: string;
  join_command: string;
}

export type CreatedToken = RegistrationToken & TokenSecret;

/** The expected-hosts row a request matched (rack-scale enrolment). */
export interface ExpectedMatch {
  row_id: string;
  hostname: string;
  position: string | null;
}

/** Why a host needs a second look: a possible clone, or a credential/token seen twice. */
export type HostAlarm = 'clone' | 'credential_reuse' | 'token_replay';

export interface Host {
  id: string;
  hostname: string;
  machine_id: string;
  status: HostStatus;
  connectivity: Connectivity;
  remote_addr: string;
  ips: string[];
  os: string | null;
  arch: string | null;
  labels: string[];
  token_id: string | null;
  token_prefix: string | null;
  verification_code: string;
  replaces: string | null;
  replaces_hostname: string | null;
  /** Set on the retired host: the re-enrolment (or winning request) that replaced it. */
  replaced_by: string | null;
  /** Another pending request for the same machine exists: approving one retires the other. */
  conflict: boolean;
  expected: ExpectedMatch | null;
  alarm: HostAlarm | null;
  /** Hardware the host reported at enrolment (shape: hostFacts in api/schemas). */
  facts: Record<string, unknown> | null;
  registered_at: string;
  decided_at: string | null;
  decided_by: string | null;
  reject_reason: string | null;
  last_seen_at: string | null;
}

/** Totals for the queue, the hosts table's filter chips, the sidebar and the tray. */
export interface HostCountsView {
  by_status: Record<HostStatus, number>;
  /** Among approved hosts. */
  by_connectivity: Record<Connectivity, number>;
  total: number;
}

export const CONNECTIVITIES = ['ONLINE', 'OFFLINE', 'NEVER'] as const;

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  target_type: string;
  target_id: string | null;
  /** Shared by every entry of one bulk action. */
  batch_id: string | null;
  detail: Record<string, unknown>;
}

export interface BulkResult {
  /** Links the audit entries of this action. */
  batch_id: string;
  results: { id: string; ok: boolean; status?: HostStatus; error?: { code: string; message: string } }[];
}

export interface Settings {
  token_prefix: string;
  offline_threshold_seconds: number;
  /** Where the desktop app's LAN listener binds on its next start (headless: the command line decides). */
  lan_port: number;
  lan_bind: string;
  /** The URL hosts are told to use; null picks this machine's first LAN address. */
  advertise_url: string | null;
  /** Approved hosts silent for longer than this many days are disabled (audited); null: never. */
  disable_offline_after_days: number | null;
}

/** What is running now, for the Settings page. */
export interface SystemInfo {
  version: string;
  lan_url: string;
  tls_fingerprint: string | null;
  /** Where the key that seals re-showable tokens lives. */
  key_storage: 'keychain' | 'file';
  /** This machine's LAN addresses, for picking the advertised URL. */
  addresses: string[];
  /** The saved LAN settings differ from the running listener's. */
  restart_required: boolean;
  /**
   * Who decides where the LAN listener binds: the saved settings (desktop app) or the
   * command line (headless: `--port`, `--bind`, `--advertise-url`; the settings are read-only).
   */
  lan_source: 'settings' | 'command_line';
  /** Desktop in team mode: the team server this app is attached to (null: its own embedded core). */
  team_server?: { url: string; pin: string } | null;
}

/**
 * What the admin event stream says: which collection changed and which records, so
 * clients patch the rows they hold instead of refetching whole lists.
 */
export interface AdminEvent {
  topic: 'tokens' | 'hosts' | 'audit' | 'settings' | 'rules' | 'expected';
  action: string;
  id?: string;
  /** Several records changed at once (a bulk decision, a heartbeat flush). */
  ids?: string[];
  /** For a heartbeat flush: how many hosts beat; `ids` is left out past a few thousand. */
  count?: number;
}

export const EXPIRY_CHOICES_HOURS = [1, 4, 24, 72, 168] as const;
export const MAX_USES_CHOICES = [1, 5, 10, 25, 0] as const;

/** A named admin credential, as listed (its secret is shown once, on creation). */
export interface AdminCredential {
  id: string;
  name: string;
  scope: 'admin' | 'approver' | 'read-only' | 'enrol';
  /** The first characters, to tell credentials apart. */
  prefix: string;
  created_at: string;
  created_by: string;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
}

export type CreatedCredential = AdminCredential & { credential: string };

/** A row of a rack import: a machine Gatehouse expects, recognised by serial, system UUID or MAC. */
export interface ExpectedHost {
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
  /** The host that claimed this row (approved as it); a later match on it is flagged as a clone. */
  claimed_by: string | null;
  claimed_at: string | null;
  created_at: string;
  created_by: string;
}

export interface ExpectedImportResult {
  import_id: string;
  imported: number;
  /** One per refused row (the header is line 1); good rows are kept. */
  errors: { line: number; reason: string }[];
}

/** Conditions on what a request reports and where it comes from; every one given must hold. */
export interface ApprovalRuleMatch {
  vendor?: string;
  model?: string;
  /** The source address lies in this network. */
  cidr?: string;
  /** The request carries this label (its own or its token's). */
  label?: string;
  token_id?: string;
}

/** A standing approval: matching requests are approved by themselves, up to max_count (0 = no cap). */
export interface ApprovalRule {
  id: string;
  name: string;
  position: number;
  enabled: boolean;
  match: ApprovalRuleMatch;
  max_count: number;
  used_count: number;
  created_at: string;
  created_by: string;
}

/** What a webhook can subscribe to (`*`: everything). */
export const WEBHOOK_EVENTS = [
  'host.pending',
  'host.approved',
  'host.rejected',
  'host.offline',
  'token.exhausted',
  'token.expiring',
  'alarm',
] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** Chat services whose incoming webhooks get a message shaped for them instead of the raw event. */
export const WEBHOOK_PRESETS = ['slack', 'teams', 'discord', 'mattermost'] as const;
export type WebhookPreset = (typeof WEBHOOK_PRESETS)[number];

/** A signed webhook, as listed (its signing secret is shown once, on creation). */
export interface Webhook {
  id: string;
  url: string;
  events: (WebhookEvent | '*')[];
  preset: WebhookPreset | null;
  enabled: boolean;
  created_at: string;
  created_by: string;
}

export type CreatedWebhook = Webhook & { secret: string };

/** One entry of a webhook's delivery log: the event, where its retries stand, the last answer. */
export interface WebhookDelivery {
  id: string;
  webhook_id: string;
  event: string;
  state: 'pending' | 'delivered' | 'failed';
  attempts: number;
  /** HTTP status of the last attempt; null when it got no answer. */
  last_status: number | null;
  last_error: string | null;
  /** How long the last attempt took to answer, in milliseconds. */
  response_ms: number | null;
  created_at: string;
  next_attempt_at: string | null;
  delivered_at: string | null;
}

/** The SMTP server join instructions are mailed through; the password is never shown again. */
export interface MailSettings {
  configured: boolean;
  host: string | null;
  port: number | null;
  /** `tls`: TLS from the start (465); `starttls`: upgrade required (587); `none`: plain (a local relay). */
  security: 'tls' | 'starttls' | 'none';
  user: string | null;
  from: string | null;
  password_set: boolean;
}

/** What `tokens.send` did: which way the join instructions went and whether the other end took them. */
export interface TokenSendResult {
  via: 'email' | 'webhook';
  to: string;
  delivered: boolean;
  /** The mail server's or chat service's refusal, when not delivered. */
  error: string | null;
}
