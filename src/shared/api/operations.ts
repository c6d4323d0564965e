import { z } from 'zod';
import type {
  AdminCredential,
  ApprovalRule,
  ExpectedHost,
  ExpectedImportResult,
  AuditEntry,
  CreatedCredential,
  BulkResult,
  CreatedToken,
  CreatedWebhook,
  Host,
  HostCountsView,
  MailSettings,
  RegistrationToken,
  Settings,
  SystemInfo,
  TokenSecret,
  TokenSendResult,
  Webhook,
  WebhookDelivery,
} from '../domain';
import type { OperationName } from './operation-names';
import type { Access } from './scopes';
import * as s from './schemas';

/**
 * The one admin API contract. The headless HTTP routes, the Electron IPC handlers and
 * the preload bridge are all derived from this table; nothing else names an operation.
 */
export interface OperationSpec<Input extends z.ZodType, Output> {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  input: Input;
  /** HTTP status of a success; 204 sends no body. */
  status: 200 | 201 | 204;
  /** Phantom: the type of a successful result. */
  output?: Output;
  /** Non-JSON answers (QR images) are served raw over HTTP. */
  raw?: true;
  /** What a credential's scope must grant: fixed, or decided by the input (bulk actions). */
  access: Access | ((input: z.output<Input>) => Access);
}

function op<Output>() {
  return <Input extends z.ZodType>(spec: Omit<OperationSpec<Input, Output>, 'output'>) =>
    spec as OperationSpec<Input, Output>;
}

const BASE = '/api/admin';
const T = `${BASE}/registration-tokens`;
const H = `${BASE}/hosts`;

export const operations = {
  'tokens.list': op<{ tokens: RegistrationToken[]; total_count: number }>()({
    access: 'read',
    method: 'GET',
    path: T,
    input: s.listTokensInput,
    status: 200,
  }),
  'tokens.create': op<CreatedToken>()({
    access: 'enrol',
    method: 'POST',
    path: T,
    input: s.createTokenInput,
    status: 201,
  }),
  'tokens.get': op<RegistrationToken>()({
    access: 'read',
    method: 'GET',
    path: `${T}/:id`,
    input: s.idParams,
    status: 200,
  }),
  'tokens.revoke': op<RegistrationToken>()({
    access: 'admin',
    method: 'POST',
    path: `${T}/:id/revoke`,
    input: s.idParams,
    status: 200,
  }),
  'tokens.delete': op<void>()({ access: 'admin', method: 'DELETE', path: `${T}/:id`, input: s.idParams, status: 204 }),
  /** Re-shows an active token (copy again, QR) from its sealed copy. */
  'tokens.reveal': op<TokenSecret>()({
    access: 'admin',
    method: 'POST',
    path: `${T}/:id/reveal`,
    input: s.idParams,
    status: 200,
  }),
  'tokens.qr': op<{ content_type: string; data: string }>()({
    access: 'admin',
    method: 'GET',
    path: `${T}/:id/qr`,
    input: s.qrInput,
    status: 200,
    raw: true,
  }),
  'hosts.list': op<{ hosts: Host[]; next_cursor: string | null; total_count: number }>()({
    access: 'read',
    method: 'GET',
    path: H,
    input: s.listHostsInput,
    status: 200,
  }),
  'hosts.counts': op<HostCountsView>()({
    access: 'read',
    method: 'GET',
    path: `${BASE}/host-counts`,
    input: z.strictObject({}),
    status: 200,
  }),
  'hosts.get': op<Host>()({ access: 'read', method: 'GET', path: `${H}/:id`, input: s.idParams, status: 200 }),
  'hosts.approve': op<Host>()({
    access: 'decide',
    method: 'POST',
    path: `${H}/:id/approve`,
    input: s.idParams,
    status: 200,
  }),
  'hosts.reject': op<Host>()({
    access: 'decide',
    method: 'POST',
    path: `${H}/:id/reject`,
    input: s.rejectHostInput,
    status: 200,
  }),
  'hosts.disable': op<Host>()({
    access: 'admin',
    method: 'POST',
    path: `${H}/:id/disable`,
    input: s.idParams,
    status: 200,
  }),
  'hosts.enable': op<Host>()({
    access: 'admin',
    method: 'POST',
    path: `${H}/:id/enable`,
    input: s.idParams,
    status: 200,
  }),
  'hosts.delete': op<void>()({ access: 'admin', method: 'DELETE', path: `${H}/:id`, input: s.idParams, status: 204 }),
  'hosts.bulk': op<BulkResult>()({
    access: (input) => (input.action === 'approve' || input.action === 'reject' ? 'decide' : 'admin'),
    method: 'POST',
    path: `${H}/bulk`,
    input: s.bulkHostsInput,
    status: 200,
  }),
  'audit.list': op<{ entries: AuditEntry[]; next_cursor: number | null }>()({
    access: 'read',
    method: 'GET',
    path: `${BASE}/audit`,
    input: s.listAuditInput,
    status: 200,
  }),
  'settings.get': op<Settings>()({
    access: 'read',
    method: 'GET',
    path: `${BASE}/settings`,
    input: z.strictObject({}),
    status: 200,
  }),
  'settings.update': op<Settings>()({
    access: 'admin',
    method: 'POST',
    path: `${BASE}/settings`,
    input: s.updateSettingsInput,
    status: 200,
  }),
  'system.info': op<SystemInfo>()({
    access: 'read',
    method: 'GET',
    path: `${BASE}/system`,
    input: z.strictObject({}),
    status: 200,
  }),
  /** A new LAN key pair: every host that pinned the old key must enrol again. */
  'certificate.regenerate': op<SystemInfo>()({
    access: 'admin',
    method: 'POST',
    path: `${BASE}/certificate/regenerate`,
    input: z.strictObject({}),
    status: 200,
  }),
  'credentials.list': op<{ credentials: AdminCredential[] }>()({
    access: 'admin',
    method: 'GET',
    path: `${BASE}/credentials`,
    input: z.strictObject({}),
    status: 200,
  }),
  /** A named credential with a scope; its secret is in this answer only. */
  'credentials.create': op<CreatedCredential>()({
    access: 'admin',
    method: 'POST',
    path: `${BASE}/credentials`,
    input: s.createCredentialInput,
    status: 201,
  }),
  'credentials.revoke': op<void>()({
    access: 'admin',
    method: 'DELETE',
    path: `${BASE}/credentials/:id`,
    input: s.idParams,
    status: 204,
  }),
  /** Approved hosts as an Ansible dynamic inventory (default), a JSON list or CSV. */
  'inventory.export': op<{ content_type: string; data: string }>()({
    access: 'read',
    method: 'GET',
    path: `${BASE}/inventory`,
    input: s.inventoryInput,
    status: 200,
    raw: true,
  }),
  /** Rack import: good rows kept, each bad row refused with its line and reason. */
  'expected.import': op<ExpectedImportResult>()({
    access: 'admin',
    method: 'POST',
    path: `${BASE}/expected-hosts/import`,
    input: s.importExpectedHostsInput,
    status: 200,
  }),
  'expected.list': op<{ expected_hosts: ExpectedHost[]; total_count: number }>()({
    access: 'read',
    method: 'GET',
    path: `${BASE}/expected-hosts`,
    input: s.listExpectedHostsInput,
    status: 200,
  }),
  /**
   * The enrolment sheet of an import: one single-use token per unclaimed row (minted for
   * rows without a usable one), as printable A4 HTML cards with a QR of each join command.
   */
  'expected.sheet': op<{ content_type: string; data: string }>()({
    access: 'admin',
    method: 'GET',
    path: `${BASE}/expected-hosts/sheet`,
    input: s.enrolmentSheetInput,
    status: 200,
    raw: true,
  }),
  'rules.list': op<{ rules: ApprovalRule[] }>()({
    access: 'read',
    method: 'GET',
    path: `${BASE}/approval-rules`,
    input: z.strictObject({}),
    status: 200,
  }),
  'rules.create': op<ApprovalRule>()({
    access: 'admin',
    method: 'POST',
    path: `${BASE}/approval-rules`,
    input: s.createApprovalRuleInput,
    status: 201,
  }),
  /** The evaluation order: the ids of every rule, first evaluated first. */
  'rules.reorder': op<{ rules: ApprovalRule[] }>()({
    access: 'admin',
    method: 'POST',
    path: `${BASE}/approval-rules/reorder`,
    input: s.reorderApprovalRulesInput,
    status: 200,
  }),
  /** Rename, enable or disable, change conditions or cap, or move one rule. */
  'rules.update': op<ApprovalRule>()({
    access: 'admin',
    method: 'POST',
    path: `${BASE}/approval-rules/:id`,
    input: s.updateApprovalRuleInput,
    status: 200,
  }),
  'rules.delete': op<void>()({
    access: 'admin',
    method: 'DELETE',
    path: `${BASE}/approval-rules/:id`,
    input: s.idParams,
    status: 204,
  }),
  'webhooks.list': op<{ webhooks: Webhook[] }>()({
    access: 'admin',
    method: 'GET',
    path: `${BASE}/webhooks`,
    input: z.strictObject({}),
    status: 200,
  }),
  /** A signed webhook; its signing secret is in this answer only. */
  'webhooks.create': op<CreatedWebhook>()({
    access: 'admin',
    method: 'POST',
    path: `${BASE}/webhooks`,
    input: s.createWebhookInput,
    status: 201,
  }),
  'webhooks.delete': op<void>()({
    access: 'admin',
    method: 'DELETE',
    path: `${BASE}/webhooks/:id`,
    input: s.idParams,
    status: 204,
  }),
  /** Sends one signed test event now (no retries) and answers with its log entry. */
  'webhooks.test': op<WebhookDelivery>()({
    access: 'admin',
    method: 'POST',
    path: `${BASE}/webhooks/:id/test`,
    input: s.idParams,
    status: 200,
  }),
  /** The delivery log, newest first: state, attempts, last status, response time, error. */
  'webhooks.deliveries': op<{ deliveries: WebhookDelivery[] }>()({
    access: 'admin',
    method: 'GET',
    path: `${BASE}/webhooks/:id/deliveries`,
    input: s.webhookDeliveriesInput,
    status: 200,
  }),
  'mail.settings.get': op<MailSettings>()({
    access: 'admin',
    method: 'GET',
    path: `${BASE}/mail-settings`,
    input: z.strictObject({}),
    status: 200,
  }),
  'mail.settings.update': op<MailSettings>()({
    access: 'admin',
    method: 'POST',
    path: `${BASE}/mail-settings`,
    input: s.updateMailSettingsInput,
    status: 200,
  }),
  /** Mails a token's join instructions (command text and its QR as PNG), or posts them to a chat webhook. */
  'tokens.send': op<TokenSendResult>()({
    access: 'admin',
    method: 'POST',
    path: `${T}/:id/send`,
    input: s.sendTokenInput,
    status: 200,
  }),
} as const satisfies Record<OperationName, OperationSpec<z.ZodType, unknown>>;

export type Operations = typeof operations;
export type OperationInput<N extends OperationName> = z.input<Operations[N]['input']>;
export type ParsedInput<N extends OperationName> = z.output<Operations[N]['input']>;
export type OperationOutput<N extends OperationName> =
  Operations[N] extends OperationSpec<z.ZodType, infer O> ? O : never;

export { OPERATION_NAMES, type OperationName } from './operation-names';

/** The typed client both renderer adapters (IPC and HTTP) implement. */
export type AdminApi = {
  [N in OperationName]: (input: OperationInput<N>) => Promise<OperationOutput<N>>;
};

/** What an IPC handler answers: the value, or the contract's error body. */
export type IpcResult<T> = { ok: true; value: T } | ({ ok: false } & import('./errors').ErrorBody);
