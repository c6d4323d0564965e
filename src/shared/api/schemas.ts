import { z } from 'zod';
import { HOST_STATUSES } from '../domain';
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
  })
  .refine((v) => (v.expires_in_hours === undefined) !== (v.expires_at === undefined), {
    message: 'give exactly one of expires_in_hours or expires_at',
    path: ['expires_in_hours'],
  });

export const qrInput = z.strictObject({ id: uuid, format: z.enum(['svg', 'png']).optional() });

export const listHostsInput = z.strictObject({ status: z.enum(HOST_STATUSES).optional() });

export const rejectHostInput = z.strictObject({ id: uuid, reason: z.string().trim().max(500).optional() });

export const bulkHostsInput = z.strictObject({
  action: z.enum(['approve', 'reject']),
  ids: z.array(uuid).min(1).max(10_000),
  reason: z.string().trim().max(500).optional(),
});

export const listAuditInput = z.strictObject({
  limit: integerish(1, 1000).optional(),
  before: integerish(1, Number.MAX_SAFE_INTEGER).optional(),
});

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
    .regex(/^https?:\/\/[^/\s]+$/, 'advertise_url: http(s)://host[:port]')
    .nullable()
    .optional(),
});

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
});
export type RegisterHostInput = z.infer<typeof registerHostInput>;
