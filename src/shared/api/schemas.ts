import { z } from 'zod';
import { CONNECTIVITIES, HOST_STATUSES, WEBHOOK_EVENTS, WEBHOOK_PRESETS } from '../domain';
import { SCOPES } from './scopes';
import { TOKEN_PREFIX_PATTERN } from '../token-format';

/** Query strings carry text; IPC carries real booleans. Accept both, nothing else. */
const booleanish = z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean());
const integerish = (min: number, max: number) =>
  z.preprocess((v) => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v), z.number().int().min(min).max(max));

export const uuid = z.uuid();

/** `rack=b12`, `gpu`, `role=worker`: a key, optionally `=value`. */
export const label = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._/-]*(=[A-Za-z0-9._/:@+-]*)?$/, 'a label is key or key=value');
export const labels = z.array(label).max(32);

export const cidr = z.union([z.cidrv4(), z.cidrv6()]);

export const idParams = z.strictObject({ id: uuid });

export const listTokensInput = z.strictObject({ include_expired: booleanish.optional() });

export const createTokenInput = z
  .strictObject({
    description: z.string().trim().max(200).optional(),
    expires_in_hours: z
      .number()
      .positive()
      .max(24 * 365)
      .optional(),
    expires_at: z.iso.datetime({ offset: true }).optional(),
    max_uses: z.number().int().min(0).max(100_000),
    labels: labels.optional(),
    auto_approve: z.boolean().optional(),
    allowed_cidrs: z.array(cidr).max(64).optional(),
    /** Hosts registered with this token are deleted after this long offline (ephemeral hosts). */
    ephemeral_offline_minutes: z.number().int().min(1).max(525_600).optional(),
  })
  .refine((v) => (v.expires_in_hours === undefined) !== (v.expires_at === undefined), {
    message: 'give exactly one of expires_in_hours or expires_at',
    path: ['expires_in_hours'],
  });

export const qrInput = z.strictObject({
  id: uuid,
  format: z.enum(['svg', 'png']).optional(),
  /** `command` (default): the join command itself; `link`: the phone page's URL. */
  content: z.enum(['command', 'link']).optional(),
});

export const HOST_SORT_VALUES = [
  'registered_at',
  '-registered_at',
  'hostname',
  '-hostname',
  'last_seen_at',
  '-last_seen_at',
  'status',
  '-status',
] as const;

/** Query strings carry `a,b,c`; IPC carries arrays. */
const commaList = <T extends z.ZodType>(item: T, max: number) =>
  z.preprocess((v) => (typeof v === 'string' ? v.split(',').filter(Boolean) : v), z.array(item).max(max));

export const listHostsInput = z.strictObject({
  status: z.enum(HOST_STATUSES).optional(),
  connectivity: z.enum(CONNECTIVITIES).optional(),
  /** Words that must all match: hostname, address, label, machine id, serial, MAC. */
  q: z.string().trim().max(200).optional(),
  token_id: uuid.optional(),
  label: label.optional(),
  /** Only requests that matched an expected row and carry no alarm. */
  expected_only: booleanish.optional(),
  ids: commaList(uuid, 500).optional(),
  sort: z.enum(HOST_SORT_VALUES).optional(),
  cursor: z.string().max(1000).optional(),
  limit: integerish(1, 500).optional(),
});

export const rejectHostInput = z.strictObject({ id: uuid, reason: z.string().trim().max(500).optional() });

export const bulkHostsInput = z
  .strictObject({
    action: z.enum(['approve', 'reject', 'disable', 'enable', 'delete']),
    ids: z.array(uuid).min(1).max(5_000).optional(),
    /** Instead of ids: every host in a status, optionally from one token or only the expected ones. */
    filter: z
      .strictObject({
        status: z.enum(HOST_STATUSES),
        token_id: uuid.optional(),
        expected_only: z.boolean().optional(),
      })
      .optional(),
    reason: z.string().trim().max(500).optional(),
  })
  .refine((v) => (v.ids === undefined) !== (v.filter === undefined), {
    message: 'give exactly one of ids or filter',
    path: ['ids'],
  });

export const listAuditInput = z.strictObject({
  limit: integerish(1, 1000).optional(),
  before: integerish(1, Number.MAX_SAFE_INTEGER).optional(),
  target_id: z.string().max(100).optional(),
  actor: z.string().max(200).optional(),
  action: z.string().max(100).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
});

/**
 * Where hosts are told to reach Gatehouse. Only a scheme, a DNS name or IP literal and a
 * port: it is pasted into join.sh and the join command, so no quote, `$` or space may pass.
 */
export const ADVERTISE_URL =
  /^https?:\/\/([A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(:\d{1,5})?$/;

export const updateSettingsInput = z.strictObject({
  token_prefix: z
    .string()
    .regex(TOKEN_PREFIX_PATTERN, 'prefix: 1–12 Crockford Base32 characters (no I, L, O, U)')
    .optional(),
  offline_threshold_seconds: z.number().int().min(10).max(86_400).optional(),
  lan_port: z.number().int().min(1).max(65_535).optional(),
  lan_bind: z.union([z.ipv4(), z.ipv6()]).optional(),
  advertise_url: z
    .string()
    .regex(ADVERTISE_URL, 'advertise_url: http(s)://host[:port] with a DNS name or IP address, nothing else')
    .nullable()
    .optional(),
  disable_offline_after_days: z.number().int().min(1).max(3650).nullable().optional(),
});

/** A MAC address as `aa:bb:cc:dd:ee:ff` (any case; `-` separators accepted and normalised). */
export const macAddress = z
  .string()
  .regex(/^[0-9A-Fa-f]{2}([:-][0-9A-Fa-f]{2}){5}$/, 'a MAC address looks like aa:bb:cc:dd:ee:ff')
  .transform((v) => v.toLowerCase().replaceAll('-', ':'));

const factText = (max: number) => z.string().trim().max(max);

/**
 * Hardware facts a host reports at enrolment (all optional, each bounded). Used to
 * match expected hosts and to display; never as proof of identity on their own.
 */
export const hostFacts = z.strictObject({
  vendor: factText(128).optional(),
  model: factText(128).optional(),
  serial: factText(128).optional(),
  system_uuid: factText(64).optional(),
  board_serial: factText(128).optional(),
  macs: z.array(macAddress).max(64).optional(),
  cpu_model: factText(256).optional(),
  cpus: z.number().int().min(0).max(100_000).optional(),
  memory_mb: z.number().int().min(0).max(1_000_000_000).optional(),
  disks: z
    .array(z.strictObject({ name: factText(64), size_gb: z.number().min(0).max(10_000_000) }))
    .max(128)
    .optional(),
  bmc_ip: z.union([z.ipv4(), z.ipv6()]).optional(),
  os_release: factText(256).optional(),
  kernel: factText(256).optional(),
  firmware: z.enum(['uefi', 'bios']).optional(),
});
export type HostFacts = z.infer<typeof hostFacts>;

/** Host-facing registration body (LAN). */
export const registerHostInput = z.strictObject({
  token: z.string().min(1).max(200),
  hostname: z
    .string()
    .min(1)
    .max(253)
    .regex(/^[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*$/, 'hostname: RFC 1123 labels'),
  machine_id: z
    .string()
    .min(8)
    .max(128)
    .regex(/^[A-Za-z0-9._:-]+$/, 'machine_id: letters, digits and . _ : -'),
  os: z.string().max(128).optional(),
  arch: z.string().max(32).optional(),
  ips: z
    .array(z.union([z.ipv4(), z.ipv6()]))
    .max(64)
    .optional(),
  labels: labels.optional(),
  facts: hostFacts.optional(),
});
export type RegisterHostInput = z.infer<typeof registerHostInput>;

export const createCredentialInput = z.strictObject({
  name: z
    .string()
    .trim()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9][A-Za-z0-9 ._@-]*$/, 'name: letters, digits, spaces and . _ @ -'),
  scope: z.enum(SCOPES),
  expires_at: z.iso.datetime({ offset: true }).optional(),
});

export const inventoryInput = z.strictObject({ format: z.enum(['ansible', 'json', 'csv']).optional() });

export const importExpectedHostsInput = z.strictObject({
  /** CSV text: a header row naming hostname, serial, system_uuid, mac, labels, position in any order. */
  csv: z.string().min(1).max(4_000_000),
  /** Each row's first matching request is approved by itself. */
  auto_approve: z.boolean().optional(),
});

export const listExpectedHostsInput = z.strictObject({
  import_id: uuid.optional(),
  limit: integerish(1, 10_000).optional(),
});

export const enrolmentSheetInput = z.strictObject({
  import_id: uuid,
  /** How long the minted tokens stay valid (default a week). */
  expires_in_hours: z
    .preprocess(
      (v) => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v),
      z
        .number()
        .int()
        .min(1)
        .max(24 * 90),
    )
    .optional(),
  /** Cards per A4 page. */
  per_page: integerish(1, 12).optional(),
});

const ruleText = (max: number) => z.string().trim().min(1).max(max);
export const approvalRuleMatch = z
  .strictObject({
    vendor: ruleText(128).optional(),
    model: ruleText(128).optional(),
    cidr: cidr.optional(),
    label: label.optional(),
    token_id: uuid.optional(),
  })
  .refine((m) => Object.values(m).some((v) => v !== undefined), {
    message: 'give at least one condition (vendor, model, cidr, label or token_id)',
  });

const ruleName = z.string().trim().min(1).max(100);

export const createApprovalRuleInput = z.strictObject({
  name: ruleName,
  match: approvalRuleMatch,
  /** How many hosts this rule may approve; 0 = no cap. */
  max_count: z.number().int().min(0).max(100_000),
  enabled: z.boolean().optional(),
  /** 1-based place in the evaluation order; default last. */
  position: z.number().int().min(1).optional(),
});

export const updateApprovalRuleInput = z.strictObject({
  id: uuid,
  name: ruleName.optional(),
  match: approvalRuleMatch.optional(),
  max_count: z.number().int().min(0).max(100_000).optional(),
  enabled: z.boolean().optional(),
  position: z.number().int().min(1).optional(),
});

export const reorderApprovalRulesInput = z.strictObject({ ids: z.array(uuid).min(1).max(1000) });

const webhookUrl = z
  .string()
  .max(2048)
  .refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol), 'url must be an http:// or https:// URL');

export const createWebhookInput = z.strictObject({
  url: webhookUrl,
  events: z
    .array(z.enum([...WEBHOOK_EVENTS, '*']))
    .min(1)
    .max(WEBHOOK_EVENTS.length + 1),
  /** Shape each message for this chat service's incoming webhook instead of the raw event. */
  preset: z.enum(WEBHOOK_PRESETS).optional(),
});

export const webhookDeliveriesInput = z.strictObject({ id: uuid, limit: integerish(1, 1000).optional() });

export const updateMailSettingsInput = z.strictObject({
  host: z
    .string()
    .trim()
    .min(1)
    .max(253)
    .regex(/^[A-Za-z0-9.:[\]-]+$/, 'host: a host name or IP address'),
  port: z.number().int().min(1).max(65_535),
  security: z.enum(['tls', 'starttls', 'none']),
  user: z.string().max(320).optional(),
  /** Omitted: keep the saved one; empty: none. */
  password: z.string().max(1024).optional(),
  from: z.email().max(320),
});

/** `to`: an email address, or the id of a webhook (a chat preset) to post the instructions to. */
export const sendTokenInput = z.strictObject({
  id: uuid,
  to: z
    .string()
    .max(320)
    .refine((v) => uuid.safeParse(v).success || z.email().safeParse(v).success, 'to: an email address or a webhook id'),
});
