import { SCOPES } from '../../../shared/api/scopes';
import { z } from 'zod';
import { ERROR_STATUS, type ErrorCode } from '../../../shared/api/errors';
import {
  OPERATION_NAMES,
  operations,
  type OperationName,
  type OperationOutput,
  type OperationSpec,
} from '../../../shared/api/operations';
import * as s from '../../../shared/api/schemas';
import { CONNECTIVITIES, HOST_STATUSES, TOKEN_STATES, WEBHOOK_EVENTS, WEBHOOK_PRESETS } from '../../../shared/domain';

/*
 * The admin API's OpenAPI 3.1 document, derived from the one operation table. Inputs come
 * from each operation's zod schema (its input side: what a caller sends). Outputs are only
 * TypeScript types in the table, so the documentation schemas below describe them; each is
 * checked against the domain type at compile time (`satisfies`) and against real answers in
 * tests/main/core/api/openapi.test.ts.
 */

type JsonObject = Record<string, unknown>;

const instant = z.iso.datetime().describe('An instant, ISO 8601 UTC.');
const uuid = z.uuid();
const nullableInstant = instant.nullable();
const count = z.number().int().min(0);

const registrationToken = z.strictObject({
  id: uuid,
  description: z.string(),
  prefix: z.string(),
  expires_at: instant,
  max_uses: count.describe('0 = unlimited'),
  use_count: count,
  used_by_nodes: z.array(z.strictObject({ host_id: uuid, hostname: z.string() })),
  labels: z.array(z.string()),
  auto_approve: z.boolean(),
  allowed_cidrs: z.array(z.string()).describe('empty = any source address'),
  failed_attempts: z.strictObject({ count, last_source: z.string().nullable(), last_at: nullableInstant }),
  created_at: instant,
  created_by: z.string(),
  revoked_at: nullableInstant,
  last_used_at: nullableInstant,
  ephemeral_offline_minutes: z
    .number()
    .int()
    .nullable()
    .describe('Hosts registered with it are deleted after this long offline; null: kept.'),
  state: z.enum(TOKEN_STATES),
  is_valid: z.boolean(),
});

const tokenSecret = z.strictObject({
  token: z.string().describe('The registration token in its text form; shown only on creation and reveal.'),
  join_url: z.string(),
  join_command: z.string(),
});

const createdToken = registrationToken.extend(tokenSecret.shape);

const host = z.strictObject({
  id: uuid,
  hostname: z.string(),
  machine_id: z.string(),
  status: z.enum(HOST_STATUSES),
  connectivity: z.enum(CONNECTIVITIES),
  remote_addr: z.string(),
  ips: z.array(z.string()),
  os: z.string().nullable(),
  arch: z.string().nullable(),
  labels: z.array(z.string()),
  token_id: uuid.nullable(),
  token_prefix: z.string().nullable(),
  verification_code: z.string().regex(/^\d{6}$/),
  replaces: uuid.nullable(),
  replaces_hostname: z.string().nullable(),
  replaced_by: uuid.nullable().describe('Set on a retired host: the host that replaced it.'),
  conflict: z.boolean().describe('Another pending request for the same machine exists.'),
  expected: z.strictObject({ row_id: z.string(), hostname: z.string(), position: z.string().nullable() }).nullable(),
  alarm: z.enum(['clone', 'credential_reuse', 'token_replay']).nullable(),
  facts: s.hostFacts.nullable().describe('Hardware the host reported at enrolment.'),
  registered_at: instant,
  decided_at: nullableInstant,
  decided_by: z.string().nullable(),
  reject_reason: z.string().nullable(),
  last_seen_at: nullableInstant,
});

const auditEntry = z.strictObject({
  id: z.number().int().min(1),
  at: instant,
  actor: z.string(),
  action: z.string(),
  target_type: z.string(),
  target_id: z.string().nullable(),
  batch_id: z.string().nullable().describe('Shared by every entry of one bulk action.'),
  detail: z.record(z.string(), z.unknown()),
});

const bulkResult = z.strictObject({
  batch_id: z.string().describe('Links the audit entries of this action.'),
  results: z.array(
    z.strictObject({
      id: z.string(),
      ok: z.boolean(),
      status: z.enum(HOST_STATUSES).optional(),
      error: z.strictObject({ code: z.string(), message: z.string() }).optional(),
    }),
  ),
});

const settings = z.strictObject({
  token_prefix: z.string(),
  offline_threshold_seconds: z.number().int(),
  lan_port: z.number().int().min(1).max(65_535),
  lan_bind: z.string(),
  advertise_url: z.string().nullable(),
  disable_offline_after_days: z
    .number()
    .int()
    .nullable()
    .describe('Approved hosts silent longer than this are disabled; null: never.'),
});

const systemInfo = z.strictObject({
  version: z.string(),
  lan_url: z.string(),
  tls_fingerprint: z.string().nullable(),
  key_storage: z.enum(['keychain', 'file']),
  addresses: z.array(z.string()),
  restart_required: z.boolean(),
  lan_source: z.enum(['settings', 'command_line']),
  team_server: z
    .strictObject({ url: z.string(), pin: z.string() })
    .nullable()
    .optional()
    .describe('Desktop in team mode: the team server it is attached to; null or absent otherwise.'),
});

const tokenList = z.strictObject({ tokens: z.array(registrationToken), total_count: count });
const hostList = z.strictObject({
  hosts: z.array(host),
  next_cursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last.'),
  total_count: count,
});
const hostCounts = z.strictObject({
  by_status: z.record(z.enum(HOST_STATUSES), count),
  by_connectivity: z.record(z.enum(CONNECTIVITIES), count).describe('Among approved hosts.'),
  total: count,
});
const adminCredential = z.strictObject({
  id: uuid,
  name: z.string(),
  scope: z.enum(SCOPES),
  prefix: z.string().describe('The first characters of the credential, to tell credentials apart.'),
  created_at: instant,
  created_by: z.string(),
  expires_at: instant.nullable(),
  revoked_at: instant.nullable(),
  last_used_at: instant.nullable(),
});
const createdCredential = adminCredential.extend({
  credential: z.string().describe('The bearer secret: shown in this answer only.'),
});
const credentialList = z.strictObject({ credentials: z.array(adminCredential) });
const auditPage = z.strictObject({ entries: z.array(auditEntry), next_cursor: z.number().int().nullable() });
const expectedHost = z.strictObject({
  id: uuid,
  import_id: uuid,
  line: z.number().int().min(2).describe('The CSV line the row came from (the header is line 1).'),
  hostname: z.string(),
  serial: z.string().nullable(),
  system_uuid: z.string().nullable(),
  mac: z.string().nullable(),
  labels: z.array(z.string()),
  position: z.string().nullable(),
  auto_approve: z.boolean(),
  claimed_by: uuid.nullable().describe('The host approved as this row; a later match on it is flagged as a clone.'),
  claimed_at: nullableInstant,
  created_at: instant,
  created_by: z.string(),
});
const expectedHostList = z.strictObject({ expected_hosts: z.array(expectedHost), total_count: count });
const expectedImport = z.strictObject({
  import_id: uuid,
  imported: count,
  errors: z
    .array(z.strictObject({ line: z.number().int().min(1), reason: z.string() }))
    .describe('One per refused row; good rows are kept.'),
});
const approvalRule = z.strictObject({
  id: uuid,
  name: z.string(),
  position: z.number().int().min(1).describe('Evaluation order: 1 first.'),
  enabled: z.boolean(),
  match: z
    .strictObject({
      vendor: z.string().optional(),
      model: z.string().optional(),
      cidr: z.string().optional(),
      label: z.string().optional(),
      token_id: uuid.optional(),
    })
    .describe('Every condition given must hold.'),
  max_count: count.describe('How many hosts the rule may approve; 0 = no cap.'),
  used_count: count,
  created_at: instant,
  created_by: z.string(),
});
const approvalRuleList = z.strictObject({ rules: z.array(approvalRule) });
const webhook = z.strictObject({
  id: uuid,
  url: z.string(),
  events: z.array(z.enum([...WEBHOOK_EVENTS, '*'])),
  preset: z.enum(WEBHOOK_PRESETS).nullable(),
  enabled: z.boolean(),
  created_at: instant,
  created_by: z.string(),
});
const createdWebhook = webhook.extend({
  secret: z.string().describe('The HMAC-SHA256 key of the Gatehouse-Signature header: shown in this answer only.'),
});
const webhookList = z.strictObject({ webhooks: z.array(webhook) });
const webhookDelivery = z.strictObject({
  id: uuid,
  webhook_id: uuid,
  event: z.string(),
  state: z.enum(['pending', 'delivered', 'failed']),
  attempts: count,
  last_status: z.number().int().nullable(),
  last_error: z.string().nullable(),
  response_ms: count.nullable().describe('How long the last attempt took to answer.'),
  created_at: instant,
  next_attempt_at: nullableInstant,
  delivered_at: nullableInstant,
});
const webhookDeliveryList = z.strictObject({ deliveries: z.array(webhookDelivery) });
const mailSettings = z.strictObject({
  configured: z.boolean(),
  host: z.string().nullable(),
  port: z.number().int().nullable(),
  security: z.enum(['tls', 'starttls', 'none']),
  user: z.string().nullable(),
  from: z.string().nullable(),
  password_set: z.boolean().describe('The password itself is never shown again.'),
});
const tokenSendResult = z.strictObject({
  via: z.enum(['email', 'webhook']),
  to: z.string(),
  delivered: z.boolean(),
  error: z.string().nullable(),
});

/** Named schemas, published under components/schemas and referenced by the operations. */
const COMPONENTS: Record<string, z.ZodType> = {
  Instant: instant,
  Uuid: uuid,
  RegistrationToken: registrationToken,
  TokenSecret: tokenSecret,
  CreatedToken: createdToken,
  Host: host,
  AuditEntry: auditEntry,
  BulkResult: bulkResult,
  Settings: settings,
  SystemInfo: systemInfo,
  TokenList: tokenList,
  HostList: hostList,
  HostCounts: hostCounts,
  AuditPage: auditPage,
  AdminCredential: adminCredential,
  CreatedCredential: createdCredential,
  CredentialList: credentialList,
  ExpectedHost: expectedHost,
  ExpectedHostList: expectedHostList,
  ExpectedImport: expectedImport,
  ApprovalRule: approvalRule,
  ApprovalRuleList: approvalRuleList,
  Webhook: webhook,
  CreatedWebhook: createdWebhook,
  WebhookList: webhookList,
  WebhookDelivery: webhookDelivery,
  WebhookDeliveryList: webhookDeliveryList,
  MailSettings: mailSettings,
  TokenSendResult: tokenSendResult,
};

type OutputSchemas = { [N in OperationName]?: z.ZodType<OperationOutput<N>> };

/**
 * The response body of every JSON operation. An operation added to the table without an
 * entry here is documented with `{}` and listed by `operationsWithoutOutputSchema()`.
 */
export const OUTPUT_SCHEMAS = {
  'tokens.list': tokenList,
  'tokens.create': createdToken,
  'tokens.get': registrationToken,
  'tokens.revoke': registrationToken,
  'tokens.reveal': tokenSecret,
  'hosts.list': hostList,
  'hosts.counts': hostCounts,
  'hosts.get': host,
  'hosts.approve': host,
  'hosts.reject': host,
  'hosts.disable': host,
  'hosts.enable': host,
  'hosts.bulk': bulkResult,
  'audit.list': auditPage,
  'settings.get': settings,
  'settings.update': settings,
  'system.info': systemInfo,
  'certificate.regenerate': systemInfo,
  'credentials.list': credentialList,
  'credentials.create': createdCredential,
  'expected.import': expectedImport,
  'expected.list': expectedHostList,
  'rules.list': approvalRuleList,
  'rules.create': approvalRule,
  'rules.reorder': approvalRuleList,
  'rules.update': approvalRule,
  'webhooks.list': webhookList,
  'webhooks.create': createdWebhook,
  'webhooks.test': webhookDelivery,
  'webhooks.deliveries': webhookDeliveryList,
  'mail.settings.get': mailSettings,
  'mail.settings.update': mailSettings,
  'tokens.send': tokenSendResult,
} satisfies OutputSchemas as OutputSchemas;

/** Content types of the operations served raw (not JSON) over HTTP. */
export const RAW_RESPONSES: Partial<Record<OperationName, Record<string, JsonObject>>> = {
  'tokens.qr': {
    'image/svg+xml': { schema: { type: 'string' } },
    'image/png': { schema: { type: 'string', contentMediaType: 'image/png' } },
  },
  'inventory.export': {
    'application/json; charset=utf-8': {
      schema: { type: 'object', description: 'An Ansible dynamic inventory (`format=ansible`) or `{hosts: [...]}`.' },
    },
    'text/csv; charset=utf-8': { schema: { type: 'string' } },
  },
  'expected.sheet': {
    'text/html; charset=utf-8': {
      schema: {
        type: 'string',
        description: 'Printable A4 HTML: one card per unclaimed row with a QR of its join command.',
      },
    },
  },
};

/** Error statuses an operation can answer beyond those its method and path imply. */
const EXTRA_ERROR_STATUSES: Partial<Record<OperationName, number[]>> = {
  'tokens.reveal': [409],
  'tokens.qr': [409],
};

/** Codes only the host-facing LAN endpoint answers; the admin API never does. */
const HOST_ONLY_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'TOKEN_MALFORMED',
  'TOKEN_INVALID',
  'TOKEN_EXPIRED',
  'TOKEN_REVOKED',
  'TOKEN_EXHAUSTED',
  'TOKEN_SOURCE_DENIED',
  'HOST_PENDING',
  'HOST_REJECTED',
  'HOST_DISABLED',
  'RATE_LIMITED',
]);

const ADMIN_CODES = (Object.keys(ERROR_STATUS) as ErrorCode[]).filter((code) => !HOST_ONLY_CODES.has(code));

function codesWithStatus(status: number): ErrorCode[] {
  return ADMIN_CODES.filter((code) => ERROR_STATUS[code] === status);
}

/** The JSON operations (not 204, not raw) that have no documentation schema for their answer. */
export function operationsWithoutOutputSchema(): OperationName[] {
  return OPERATION_NAMES.filter((name) => {
    const spec: OperationSpec<z.ZodType, unknown> = operations[name];
    if (spec.status === 204) return false;
    return spec.raw ? !RAW_RESPONSES[name] : !OUTPUT_SCHEMAS[name];
  });
}

/** `/api/admin/hosts/:id/approve` → `/api/admin/hosts/{id}/approve`, and the names of its parameters. */
export function openApiPath(path: string): { path: string; params: string[] } {
  const params: string[] = [];
  const converted = path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, (_m, name: string) => {
    params.push(name);
    return `{${name}}`;
  });
  return { path: converted, params };
}

function withoutDialect(schema: JsonObject): JsonObject {
  const { $schema: _schema, $id: _id, ...rest } = schema;
  return rest;
}

/** A zod schema as a JSON Schema (2020-12, OpenAPI 3.1's dialect) of what a caller sends. */
function inputJsonSchema(schema: z.ZodType): JsonObject {
  return withoutDialect(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonObject);
}

function errorBody(codes: readonly ErrorCode[]) {
  return z.strictObject({
    error: z.strictObject({
      code: z.enum(codes as [ErrorCode, ...ErrorCode[]]),
      message: z.string().describe('A plain sentence naming what was wrong.'),
      details: z.unknown().optional(),
    }),
  });
}

function errorResponses(): Record<string, JsonObject> {
  const statuses = [...new Set(ADMIN_CODES.map((code) => ERROR_STATUS[code]))].sort((a, b) => a - b);
  const responses: Record<string, JsonObject> = {};
  for (const status of statuses) {
    const codes = codesWithStatus(status);
    const retry = status === 503 || status === 429;
    responses[`Error${status}`] = {
      description: `Error: ${codes.join(', ')}.`,
      ...(retry
        ? {
            headers: {
              'Retry-After': { description: 'Seconds to wait before retrying.', schema: { type: 'integer' } },
            },
          }
        : {}),
      content: {
        'application/json': {
          schema: withoutDialect(z.toJSONSchema(errorBody(codes), { unrepresentable: 'any' }) as JsonObject),
        },
      },
    };
  }
  return responses;
}

/** Which error statuses an operation may answer, from its method, path and input. */
function errorStatusesOf(name: OperationName, spec: OperationSpec<z.ZodType, unknown>, params: string[]): number[] {
  const statuses = new Set<number>([400, 401, 403, 500]);
  if (params.length > 0) statuses.add(404);
  if (spec.method === 'POST') {
    statuses.add(413);
    statuses.add(415);
  }
  if (spec.method !== 'GET') statuses.add(503);
  for (const extra of EXTRA_ERROR_STATUSES[name] ?? []) statuses.add(extra);
  return [...statuses].filter((status) => codesWithStatus(status).length > 0).sort((a, b) => a - b);
}

interface InputParts {
  parameters: JsonObject[];
  requestBody?: JsonObject;
}

/**
 * Splits an operation's input schema the way the HTTP router gathers it: path parameters
 * from `:name` segments, the rest from the query string (GET, DELETE) or the JSON body (POST).
 */
function inputParts(spec: OperationSpec<z.ZodType, unknown>, params: string[]): InputParts {
  const schema = inputJsonSchema(spec.input);
  const properties = (schema.properties ?? {}) as Record<string, JsonObject>;
  const required = new Set((schema.required ?? []) as string[]);
  const parameters: JsonObject[] = params.map((name) => ({
    name,
    in: 'path',
    required: true,
    schema: properties[name] ?? { type: 'string' },
  }));
  const isObject = schema.type === 'object' && schema.properties !== undefined;
  const rest = Object.fromEntries(Object.entries(properties).filter(([key]) => !params.includes(key)));

  if (spec.method === 'POST') {
    if (isObject && Object.keys(rest).length === 0) return { parameters };
    const body: JsonObject = isObject
      ? {
          ...schema,
          properties: rest,
          ...(schema.required
            ? { required: (schema.required as string[]).filter((key) => !params.includes(key)) }
            : {}),
        }
      : schema;
    if (Array.isArray(body.required) && body.required.length === 0) delete body.required;
    return {
      parameters,
      requestBody: { required: true, content: { 'application/json': { schema: body } } },
    };
  }

  if (!isObject) {
    // Not a plain object (a union, say): one query object spread into name=value pairs.
    parameters.push({ name: 'query', in: 'query', style: 'form', explode: true, schema });
    return { parameters };
  }
  for (const [name, property] of Object.entries(rest)) {
    const { description, ...propertySchema } = property;
    parameters.push({
      name,
      in: 'query',
      required: required.has(name),
      // Lists travel as `a,b,c` in one query parameter.
      ...(propertySchema.type === 'array' ? { style: 'form', explode: false } : {}),
      ...(typeof description === 'string' ? { description } : {}),
      schema: propertySchema,
    });
  }
  return { parameters };
}

/** A registry of every named schema plus one per operation answer, turned into components at once. */
function responseSchemas(): { components: Record<string, JsonObject>; refOf: (name: OperationName) => string } {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(COMPONENTS)) registry.add(schema, { id });
  const ids = new Map<OperationName, string>();
  for (const name of OPERATION_NAMES) {
    const schema = OUTPUT_SCHEMAS[name];
    if (!schema) continue;
    const existing = registry.get(schema)?.id;
    const id = existing ?? `${pascal(name)}Response`;
    if (!existing) registry.add(schema, { id });
    ids.set(name, id);
  }
  const uri = (id: string) => `#/components/schemas/${id}`;
  const generated = z.toJSONSchema(registry, { uri, unrepresentable: 'any' }).schemas as Record<string, JsonObject>;
  const components = Object.fromEntries(Object.entries(generated).map(([id, schema]) => [id, withoutDialect(schema)]));
  return { components, refOf: (name) => (ids.has(name) ? uri(ids.get(name) as string) : '') };
}

function pascal(name: string): string {
  return name
    .split(/[.\-_]/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

function sortKeys<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(
    Object.keys(record)
      .sort()
      .map((key) => [key, record[key] as T]),
  );
}

const METHOD_ORDER = ['get', 'post', 'delete'];

/**
 * The OpenAPI 3.1 document of the admin API, served at `/api/admin/openapi.json` and kept
 * as docs/openapi.json (`npm run openapi`). Deterministic for a given table and version:
 * paths, methods and components come out in sorted order so the committed file diffs cleanly.
 */
export function buildOpenApiDocument(version: string): JsonObject {
  const { components: schemas, refOf } = responseSchemas();
  const errorBodyAll = withoutDialect(z.toJSONSchema(errorBody(ADMIN_CODES), { unrepresentable: 'any' }) as JsonObject);
  const paths: Record<string, Record<string, JsonObject>> = {};

  for (const name of OPERATION_NAMES) {
    const spec: OperationSpec<z.ZodType, unknown> = operations[name];
    const { path, params } = openApiPath(spec.path);
    const { parameters, requestBody } = inputParts(spec, params);

    const success: JsonObject = { description: spec.status === 204 ? 'Done; no body.' : 'Success.' };
    if (spec.status !== 204) {
      if (spec.raw) {
        success.content = RAW_RESPONSES[name] ?? { 'application/octet-stream': { schema: {} } };
      } else {
        const ref = refOf(name);
        success.content = { 'application/json': { schema: ref ? { $ref: ref } : {} } };
      }
    }
    const responses: Record<string, JsonObject> = { [String(spec.status)]: success };
    for (const status of errorStatusesOf(name, spec, params)) {
      responses[String(status)] = { $ref: `#/components/responses/Error${status}` };
    }

    paths[path] ??= {};
    paths[path][spec.method.toLowerCase()] = {
      operationId: name,
      tags: [name.split('.')[0]],
      summary: name,
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(requestBody ? { requestBody } : {}),
      responses,
    };
  }

  const sortedPaths = Object.fromEntries(
    Object.keys(paths)
      .sort()
      .map((path) => {
        const methods = paths[path] as Record<string, JsonObject>;
        const ordered = METHOD_ORDER.filter((m) => m in methods).map((m) => [m, methods[m]]);
        return [path, Object.fromEntries(ordered)];
      }),
  );

  return {
    openapi: '3.1.0',
    info: {
      title: 'Gatehouse admin API',
      version,
      description:
        'Registration tokens, the approval queue and hosts. Served on the loopback admin listener; ' +
        'every call takes `Authorization: Bearer <admin token or credential>`. Errors are ' +
        '`{"error": {"code", "message", "details?"}}`.',
    },
    security: [{ bearer: [] }],
    tags: [...new Set(OPERATION_NAMES.map((name) => name.split('.')[0]))].sort().map((tag) => ({ name: tag })),
    paths: sortedPaths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: sortKeys({ ...schemas, ErrorBody: errorBodyAll }),
      responses: errorResponses(),
    },
  };
}

/** The document as written to docs/openapi.json: 2-space indent, trailing newline. */
export function serializeOpenApiDocument(document: JsonObject): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}
