import { request as httpsRequest } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestFor } from '../../../../src/main/core/cli/cli-client';
import { OPERATION_NAMES, operations, type OperationName } from '../../../../src/shared/api/operations';
import { SCOPES, scopeAllows, type Access, type Scope } from '../../../../src/shared/api/scopes';
import { registration, startTestServer, type TestServer } from '../../../helpers/gatehouse';

let server: TestServer;
const secrets = {} as Record<Scope, string>;

async function adminJson<T>(path: string, json?: unknown): Promise<T> {
  const res = await server.admin(path, json === undefined ? {} : { json });
  expect(res.status, `${path} as the admin token`).toBeLessThan(300);
  return (await res.json()) as T;
}

const newToken = () =>
  adminJson<{ id: string; token: string }>('/api/admin/registration-tokens', { expires_in_hours: 1, max_uses: 0 });

/** Registers over the LAN listener's TLS (a self-signed certificate, so no chain check). */
function register(token: string): Promise<string> {
  const body = JSON.stringify(registration(token));
  const url = new URL('/api/hosts/register', server.endpoint.lan_url);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      {
        method: 'POST',
        rejectUnauthorized: false,
        headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () =>
          res.statusCode === 201
            ? resolve((JSON.parse(text) as { host_id: string }).host_id)
            : reject(new Error(`register: ${res.statusCode} ${text}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function pendingHost(): Promise<string> {
  return register((await newToken()).token);
}
async function approvedHost(): Promise<string> {
  const id = await pendingHost();
  await adminJson(`/api/admin/hosts/${id}/approve`, {});
  return id;
}
async function disabledHost(): Promise<string> {
  const id = await approvedHost();
  await adminJson(`/api/admin/hosts/${id}/disable`, {});
  return id;
}
let expectedCount = 0;
/** A one-row rack import with identifiers no other call used. */
const expectedCsv = () => `hostname,serial\nrack-node-${++expectedCount},SCOPE-SN-${expectedCount}\n`;
const newRuleInput = () => ({ name: `rule ${++expectedCount}`, match: { vendor: 'Nobody Inc' }, max_count: 1 });
const newRule = async () => (await adminJson<{ id: string }>('/api/admin/approval-rules', newRuleInput())).id;
/** Nothing listens on port 9 of loopback: deliveries fail fast, which is fine for a scope check. */
const DEAD_RECEIVER = 'http://127.0.0.1:9/hook';
const newWebhook = async () =>
  (await adminJson<{ id: string }>('/api/admin/webhooks', { url: DEAD_RECEIVER, events: ['*'] })).id;
let credentialCount = 0;
const credentialName = () => `made-in-test-${++credentialCount}`;

/**
 * A call of each operation that succeeds when its scope allows it, on fresh objects made
 * with the admin token (so one scope's delete never spoils the next scope's call).
 * Typed by every operation name: an operation added to the table without a case here
 * does not compile.
 */
const CASES: Record<OperationName, Array<{ label: string; input: () => Promise<Record<string, unknown>> }>> = {
  'tokens.list': [{ label: 'list', input: async () => ({}) }],
  'tokens.create': [{ label: 'create', input: async () => ({ expires_in_hours: 1, max_uses: 1 }) }],
  'tokens.get': [{ label: 'get', input: async () => ({ id: (await newToken()).id }) }],
  'tokens.revoke': [{ label: 'revoke', input: async () => ({ id: (await newToken()).id }) }],
  'tokens.delete': [{ label: 'delete', input: async () => ({ id: (await newToken()).id }) }],
  'tokens.reveal': [{ label: 'reveal', input: async () => ({ id: (await newToken()).id }) }],
  'tokens.qr': [{ label: 'qr', input: async () => ({ id: (await newToken()).id, format: 'svg' }) }],
  'hosts.list': [{ label: 'list', input: async () => ({}) }],
  'hosts.counts': [{ label: 'counts', input: async () => ({}) }],
  'hosts.get': [{ label: 'get', input: async () => ({ id: await pendingHost() }) }],
  'hosts.approve': [{ label: 'approve', input: async () => ({ id: await pendingHost() }) }],
  'hosts.reject': [{ label: 'reject', input: async () => ({ id: await pendingHost(), reason: 'not ours' }) }],
  'hosts.disable': [{ label: 'disable', input: async () => ({ id: await approvedHost() }) }],
  'hosts.enable': [{ label: 'enable', input: async () => ({ id: await disabledHost() }) }],
  'hosts.delete': [{ label: 'delete', input: async () => ({ id: await pendingHost() }) }],
  'hosts.bulk': [
    {
      label: 'bulk approve',
      input: async () => ({ action: 'approve', ids: [await pendingHost(), await pendingHost()] }),
    },
    { label: 'bulk reject', input: async () => ({ action: 'reject', ids: [await pendingHost()] }) },
    { label: 'bulk disable', input: async () => ({ action: 'disable', ids: [await approvedHost()] }) },
    { label: 'bulk delete', input: async () => ({ action: 'delete', ids: [await pendingHost()] }) },
  ],
  'audit.list': [{ label: 'list', input: async () => ({ limit: 5 }) }],
  'settings.get': [{ label: 'get', input: async () => ({}) }],
  'settings.update': [{ label: 'update', input: async () => ({ offline_threshold_seconds: 120 }) }],
  'system.info': [{ label: 'info', input: async () => ({}) }],
  'certificate.regenerate': [{ label: 'regenerate', input: async () => ({}) }],
  'credentials.list': [{ label: 'list', input: async () => ({}) }],
  'credentials.create': [{ label: 'create', input: async () => ({ name: credentialName(), scope: 'read-only' }) }],
  'credentials.revoke': [
    {
      label: 'revoke',
      input: async () => ({
        id: (await adminJson<{ id: string }>('/api/admin/credentials', { name: credentialName(), scope: 'enrol' })).id,
      }),
    },
  ],
  'inventory.export': [{ label: 'export', input: async () => ({ format: 'json' }) }],
  'expected.import': [{ label: 'import', input: async () => ({ csv: expectedCsv() }) }],
  'expected.list': [{ label: 'list', input: async () => ({}) }],
  'expected.sheet': [
    {
      label: 'sheet',
      input: async () => ({
        import_id: (await adminJson<{ import_id: string }>('/api/admin/expected-hosts/import', { csv: expectedCsv() }))
          .import_id,
      }),
    },
  ],
  'webhooks.list': [{ label: 'list', input: async () => ({}) }],
  'webhooks.create': [{ label: 'create', input: async () => ({ url: DEAD_RECEIVER, events: ['*'] }) }],
  'webhooks.delete': [{ label: 'delete', input: async () => ({ id: await newWebhook() }) }],
  'webhooks.test': [{ label: 'test', input: async () => ({ id: await newWebhook() }) }],
  'webhooks.deliveries': [{ label: 'deliveries', input: async () => ({ id: await newWebhook() }) }],
  'mail.settings.get': [{ label: 'get', input: async () => ({}) }],
  'mail.settings.update': [
    { label: 'update', input: async () => ({ host: '127.0.0.1', port: 9, security: 'none', from: 'g@example.test' }) },
  ],
  'tokens.send': [
    { label: 'to a chat webhook', input: async () => ({ id: (await newToken()).id, to: await newWebhook() }) },
  ],
  'rules.list': [{ label: 'list', input: async () => ({}) }],
  'rules.create': [{ label: 'create', input: async () => newRuleInput() }],
  'rules.reorder': [
    {
      label: 'reorder',
      input: async () => ({
        ids: (await adminJson<{ rules: { id: string }[] }>('/api/admin/approval-rules', undefined)).rules
          .map((r) => r.id)
          .reverse(),
      }),
    },
  ],
  'rules.update': [{ label: 'update', input: async () => ({ id: await newRule(), enabled: false }) }],
  'rules.delete': [{ label: 'delete', input: async () => ({ id: await newRule() }) }],
};

/** Calls one operation over HTTP with a bearer, the request built from the operation table. */
async function call(name: OperationName, input: Record<string, unknown>, bearer: string) {
  const { method, path, body } = requestFor(name, input);
  const res = await fetch(server.endpoint.admin_url + path, {
    method,
    body,
    headers: { Authorization: `Bearer ${bearer}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
  });
  const text = await res.text();
  return {
    status: res.status,
    code: res.status >= 400 ? (JSON.parse(text) as { error: { code: string } }).error.code : null,
  };
}

/** What each call did, by scope and case label; filled once by the sweep below. */
const outcomes = new Map<string, { status: number; code: string | null }>();
const key = (scope: Scope, name: OperationName, label: string) => `${scope} ${name} ${label}`;

beforeAll(async () => {
  server = await startTestServer({ tls: true });
  for (const scope of SCOPES) {
    const created = await adminJson<{ credential: string }>('/api/admin/credentials', { name: `as-${scope}`, scope });
    secrets[scope] = created.credential;
  }
  for (const name of OPERATION_NAMES) {
    for (const c of CASES[name]) {
      for (const scope of SCOPES) {
        outcomes.set(key(scope, name, c.label), await call(name, await c.input(), secrets[scope]));
      }
    }
  }
}, 120_000);
afterAll(() => server.dispose());

const accessOf = (name: OperationName, input: Record<string, unknown>): Access => {
  const access = operations[name].access as Access | ((i: unknown) => Access);
  return typeof access === 'function' ? access(input) : access;
};

describe('admin credential scopes over HTTP', () => {
  it('tries every operation in the table with every scope: exactly the allowed ones succeed, the rest are 403 FORBIDDEN', async () => {
    const wrong: string[] = [];
    let tried = 0;
    for (const name of OPERATION_NAMES) {
      for (const c of CASES[name]) {
        // The bulk action decides the access; the cases name it in their label.
        const action = c.label.startsWith('bulk ') ? { action: c.label.slice(5) } : {};
        const access = accessOf(name, action);
        for (const scope of SCOPES) {
          tried++;
          const outcome = outcomes.get(key(scope, name, c.label))!;
          const allowed = scopeAllows(scope, access);
          const ok = allowed
            ? outcome.status === operations[name].status
            : outcome.status === 403 && outcome.code === 'FORBIDDEN';
          if (!ok)
            wrong.push(
              `${key(scope, name, c.label)}: expected ${allowed ? 'success' : '403'}, got ${outcome.status} ${outcome.code}`,
            );
        }
      }
    }
    expect(wrong).toEqual([]);
    expect(tried).toBe(OPERATION_NAMES.reduce((n, name) => n + CASES[name].length, 0) * SCOPES.length);
  });

  // Spot checks written down by hand, so the sweep above cannot pass by echoing the table.
  const SPOT_CHECKS: [Scope, OperationName, string, boolean][] = [
    ['read-only', 'hosts.approve', 'approve', false],
    ['read-only', 'hosts.reject', 'reject', false],
    ['read-only', 'hosts.list', 'list', true],
    ['read-only', 'audit.list', 'list', true],
    ['read-only', 'tokens.create', 'create', false],
    ['read-only', 'inventory.export', 'export', true],
    ['enrol', 'tokens.create', 'create', true],
    ['enrol', 'hosts.list', 'list', false],
    ['enrol', 'tokens.list', 'list', false],
    ['enrol', 'hosts.approve', 'approve', false],
    ['approver', 'hosts.bulk', 'bulk approve', true],
    ['approver', 'hosts.bulk', 'bulk reject', true],
    ['approver', 'hosts.bulk', 'bulk delete', false],
    ['approver', 'hosts.bulk', 'bulk disable', false],
    ['approver', 'hosts.approve', 'approve', true],
    ['approver', 'hosts.delete', 'delete', false],
    ['approver', 'tokens.create', 'create', false],
    ['approver', 'credentials.create', 'create', false],
    ['admin', 'credentials.create', 'create', true],
    ['admin', 'hosts.bulk', 'bulk delete', true],
    ['admin', 'certificate.regenerate', 'regenerate', true],
    ['approver', 'certificate.regenerate', 'regenerate', false],
  ];
  it.each(SPOT_CHECKS)('%s %s (%s) allowed: %s', (scope, name, label, allowed) => {
    const outcome = outcomes.get(key(scope, name, label))!;
    if (allowed) expect(outcome.status).toBeLessThan(300);
    else expect(outcome).toEqual({ status: 403, code: 'FORBIDDEN' });
  });

  it("records an approval by a named credential under the credential's name", async () => {
    const id = await pendingHost();
    expect((await call('hosts.approve', { id }, secrets.approver)).status).toBe(200);
    const { entries } = await adminJson<{ entries: { actor: string; action: string }[] }>(
      `/api/admin/audit?target_id=${id}`,
    );
    expect(entries).toContainEqual(expect.objectContaining({ actor: 'as-approver', action: 'host.approved' }));
  });

  it('refuses an unknown or revoked credential with 401 UNAUTHORIZED', async () => {
    expect(await call('hosts.list', {}, 'gha_unknown')).toEqual({ status: 401, code: 'UNAUTHORIZED' });
    const made = await adminJson<{ id: string; credential: string }>('/api/admin/credentials', {
      name: credentialName(),
      scope: 'admin',
    });
    expect((await call('hosts.list', {}, made.credential)).status).toBe(200);
    const revoke = await server.admin(`/api/admin/credentials/${made.id}`, { method: 'DELETE' });
    expect(revoke.status).toBe(204);
    expect(await call('hosts.list', {}, made.credential)).toEqual({ status: 401, code: 'UNAUTHORIZED' });
  });
});
