import { operations } from '../../src/shared/api/operations';

/** One malformed or hostile request, as the bytes that go on the wire. */
export interface HostileCase {
  kind: string;
  listener: 'lan' | 'admin';
  parts: (string | Buffer)[];
  gapMs?: number;
  endAfterWrite?: boolean;
  timeoutMs?: number;
  head?: boolean;
}

export interface Targets {
  lanHost: string;
  adminHost: string;
  adminToken: string;
  hostCredential: string;
  tokenId: string;
  hostId: string;
  token: string;
}

/** A small seeded generator, so a failing case can be found again from the printed seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MB_STRING = 'A'.repeat(1024 * 1024);
const DEEP_OBJECT = '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000);
const DEEP_ARRAY = '['.repeat(10_000) + ']'.repeat(10_000);

/** Values of the wrong type, size or shape for any field. */
export const HOSTILE_VALUES: unknown[] = [
  null,
  0,
  -1,
  1.5,
  1e308,
  -1e308,
  Number.MAX_SAFE_INTEGER + 2,
  true,
  false,
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\u202e\u0041',
  '💥'.repeat(300),
  'x'.repeat(5_000),
  '../../etc/passwd',
  '<script>alert(1)</script>',
  "'; DROP TABLE hosts; --",
  '%00',
  '1e309',
  'NaN',
  '2026-13-45T99:99:99Z',
  '-1',
  [],
  [null],
  [1, 'a', {}],
  Array.from({ length: 2_000 }, (_, i) => `v${i}`),
  {},
  { $gt: '' },
  { __proto__: { admin: true } },
  JSON.parse('{"__proto__":{"polluted":1}}') as unknown,
  { constructor: { prototype: { polluted: 1 } } },
  [[[[[[[[[[[]]]]]]]]]]],
];

/** Field names the contract uses somewhere, so random bodies hit real validators. */
const FIELDS = [
  'token',
  'hostname',
  'machine_id',
  'os',
  'arch',
  'ips',
  'labels',
  'facts',
  'description',
  'expires_in_hours',
  'expires_at',
  'max_uses',
  'auto_approve',
  'allowed_cidrs',
  'reason',
  'action',
  'ids',
  'name',
  'scope',
  'csv',
  'token_prefix',
  'offline_threshold_seconds',
  'url',
  'events',
  'preset',
  'match',
  'order',
  '__proto__',
  'constructor',
  'unknown_field',
];

const registerBase = (token: string) => ({
  token,
  hostname: 'hostile-node',
  machine_id: 'hostile-machine-0001',
  os: 'Debian 12',
  arch: 'x86_64',
});

/** Builds the bytes of one request; `length` overrides Content-Length (or 'none'). */
export function rawRequest(
  host: string,
  method: string,
  path: string,
  options: {
    body?: string | Buffer;
    contentType?: string | null;
    auth?: string | null;
    headers?: string[];
    length?: number | 'none';
    version?: string;
  } = {},
): Buffer {
  const body = options.body === undefined ? Buffer.alloc(0) : Buffer.from(options.body);
  const lines = [`${method} ${path} ${options.version ?? 'HTTP/1.1'}`, `Host: ${host}`, 'Connection: close'];
  if (options.auth) lines.push(`Authorization: ${options.auth}`);
  const contentType = options.contentType === undefined ? 'application/json' : options.contentType;
  if (contentType !== null && body.length > 0) lines.push(`Content-Type: ${contentType}`);
  if (options.length !== 'none' && (body.length > 0 || options.length !== undefined)) {
    lines.push(`Content-Length: ${options.length ?? body.length}`);
  }
  lines.push(...(options.headers ?? []));
  return Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1'), body]);
}

/** A plausible body per admin operation, so field mutations reach its real validator. */
const ADMIN_BODIES = (t: Targets): Record<string, Record<string, unknown>> => ({
  'tokens.create': { description: 'hostile', expires_in_hours: 1, max_uses: 1, labels: ['a=b'], auto_approve: false },
  'hosts.reject': { reason: 'hostile' },
  'hosts.bulk': { action: 'reject', ids: [t.hostId] },
  'settings.update': { token_prefix: 'GATE' },
  'credentials.create': { name: 'hostile', scope: 'read-only' },
  'expected.import': { csv: 'hostname,serial\nrack-1,SN1\n', auto_approve: false },
});

interface Route {
  listener: 'lan' | 'admin';
  method: string;
  path: string;
  /** A body the route expects (hostile variants are derived from it). */
  base?: Record<string, unknown>;
  auth?: string;
}

/** Every route of both listeners, admin ones taken from the operation table so new operations are covered. */
export function routes(t: Targets): Route[] {
  const host = `Bearer ${t.hostCredential}`;
  const admin = `Bearer ${t.adminToken}`;
  const lan: Route[] = [
    { listener: 'lan', method: 'POST', path: '/api/hosts/register', base: registerBase(t.token) },
    { listener: 'lan', method: 'POST', path: '/api/hosts/heartbeat', base: {}, auth: host },
    { listener: 'lan', method: 'POST', path: '/api/hosts/credentials/rotate', base: {}, auth: host },
    { listener: 'lan', method: 'GET', path: '/api/hosts/me', auth: host },
    { listener: 'lan', method: 'GET', path: '/join.sh' },
    { listener: 'lan', method: 'GET', path: '/join' },
    { listener: 'lan', method: 'GET', path: '/api/health' },
  ];
  const adminRoutes: Route[] = [];
  for (const [name, op] of Object.entries(operations)) {
    // Regenerating the certificate is slow and not a parsing concern; deletes aim at ids that do not exist.
    if (name === 'certificate.regenerate') continue;
    const id =
      op.method === 'DELETE'
        ? '00000000-0000-4000-8000-000000000000'
        : name.startsWith('tokens.')
          ? t.tokenId
          : t.hostId;
    adminRoutes.push({
      listener: 'admin',
      method: op.method,
      path: op.path.replace(':id', id),
      base: op.method === 'GET' ? undefined : (ADMIN_BODIES(t)[name] ?? {}),
      auth: admin,
    });
  }
  return [...lan, ...adminRoutes];
}

const TRAVERSALS = [
  '/..%2f..%2fetc/passwd',
  '/..%2F..%2F..%2Fetc%2Fpasswd',
  '/%2e%2e/%2e%2e/etc/passwd',
  '/../../etc/passwd',
  '/join.sh/../../../etc/passwd',
  '/api/hosts/..%2f..%2fadmin',
  '/api/admin/..%2f..%2fetc/passwd',
  '/api/admin/hosts/%2e%2e%2f%2e%2e',
  '/%00',
  '/join.sh%00.txt',
  '/api/hosts/me%00',
  '/api/admin/hosts/%00',
  '/%C0%AE%C0%AE/%C0%AE%C0%AE/etc/passwd',
  '/..\\..\\windows\\win.ini',
  '//etc/passwd',
  '/api//hosts///me',
  '/api/hosts/me/',
  '/API/HOSTS/ME',
  '/api/admin/registration-tokens/%',
  '/api/admin/registration-tokens/%zz',
  '/api/admin/registration-tokens/%E0%A4%A',
  '/api/admin/hosts/%ff%fe',
  '/api/hosts/%E0%A4%A',
  '/%',
  '/join.sh?%',
  '/api/admin/audit?limit=%zz',
  '/api/admin/hosts?status=%00',
  '/api/admin/hosts?q=%E0%A4%A',
  '/api/admin/hosts?cursor=..%2f..%2f',
  '/api/admin/hosts?limit[]=1',
  '/api/admin/hosts?limit[$gt]=0',
  '/api/admin/hosts?__proto__[admin]=1',
  '/api/admin/hosts?constructor[prototype][x]=1',
  '/api/admin/audit?limit=1e999',
  '/api/admin/audit?before=-5',
  '/api/admin/hosts?sort=;DROP TABLE hosts',
  '/api/admin/registration-tokens?include_expired=maybe',
  '/api/admin/inventory?format=../../etc/passwd',
  '/api/admin/registration-tokens/x/qr?format=gif&content=evil',
];

const METHODS = [
  'PUT',
  'PATCH',
  'DELETE',
  'OPTIONS',
  'TRACE',
  'PROPFIND',
  'MKCOL',
  'SEARCH',
  'BREW',
  'get',
  'G ET',
  'HEAD',
];

/** Header-level abuse; each entry is the extra header lines and what to send as the body. */
function headerAbuse(body: string): { kind: string; headers: string[]; length?: number | 'none'; body?: string }[] {
  return [
    { kind: 'huge header', headers: [`X-Big: ${'h'.repeat(20_000)}`] },
    { kind: 'huge cookie', headers: [`Cookie: ${'c=1; '.repeat(5_000)}`] },
    { kind: 'many headers', headers: Array.from({ length: 300 }, (_, i) => `X-H${i}: ${i}`) },
    { kind: 'duplicate content-length', headers: ['Content-Length: 5'], body },
    { kind: 'negative content-length', length: -1, headers: [], body },
    { kind: 'non-numeric content-length', headers: ['Content-Length: abc'], length: 'none', body },
    { kind: 'content-length and chunked', headers: ['Transfer-Encoding: chunked'], body },
    { kind: 'bad transfer-encoding', headers: ['Transfer-Encoding: gzip'], length: 'none', body },
    {
      kind: 'chunked twice',
      headers: ['Transfer-Encoding: chunked, chunked'],
      length: 'none',
      body: '5\r\nhello\r\n0\r\n\r\n',
    },
    { kind: 'xchunked', headers: ['Transfer-Encoding: xchunked'], length: 'none', body },
    {
      kind: 'bad chunk size',
      headers: ['Transfer-Encoding: chunked'],
      length: 'none',
      body: 'zz\r\nhello\r\n0\r\n\r\n',
    },
    {
      kind: 'chunk larger than sent',
      headers: ['Transfer-Encoding: chunked'],
      length: 'none',
      body: 'ffff\r\n{"a":1}\r\n0\r\n\r\n',
    },
    { kind: 'header without colon', headers: ['ThisIsNotAHeader'] },
    { kind: 'obs-fold header', headers: ['X-Fold: a', ' continued'] },
    { kind: 'control char in header', headers: ['X-Ctl: a\u0001b'] },
    { kind: 'latin1 header value', headers: ['X-Latin: \u00ff\u00fe'] },
    { kind: 'huge authorization', headers: [`Authorization: Bearer ${'t'.repeat(12_000)}`] },
    { kind: 'two authorizations', headers: ['Authorization: Bearer a', 'Authorization: Bearer b'] },
    { kind: 'space before colon', headers: ['Content-Type : text/plain'] },
    { kind: 'huge content-type', headers: [], body },
    { kind: 'expect 100-continue', headers: ['Expect: 100-continue'], body },
    { kind: 'expect nonsense', headers: ['Expect: 999-bogus'], body },
    { kind: 'content-encoding gzip', headers: ['Content-Encoding: gzip'], body },
    { kind: 'content-encoding unknown', headers: ['Content-Encoding: br, zzz'], body },
  ];
}

const CONTENT_TYPES = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/json; charset=utf-16',
  'application/json; charset=latin1',
  'application/json; charset=nope',
  'application/json, text/html',
  'application/xml',
  '../../etc/passwd',
  'application/json; ' + 'x=1; '.repeat(500),
  '',
  'application/vnd.api+json',
  'application/json\u0000',
];

const INVALID_UTF8: Buffer[] = [
  Buffer.from([0xff, 0xfe, 0xfd]),
  Buffer.from([0xc3, 0x28]),
  Buffer.from([0xe2, 0x28, 0xa1]),
  Buffer.from([0xf0, 0x28, 0x8c, 0xbc]),
  Buffer.from([0xed, 0xa0, 0x80]), // an encoded surrogate
  Buffer.from([0xc0, 0xaf]), // an overlong '/'
  Buffer.from([0x80]),
];

/**
 * At least `count` hostile requests against both listeners: body mutations on every JSON
 * route, path and query abuse, header abuse, wrong methods and content types, invalid
 * UTF-8, deep and 1 MB bodies, truncated and slow bodies; the rest drawn at random.
 */
export function hostileCases(t: Targets, count: number, random: () => number): HostileCase[] {
  const cases: HostileCase[] = [];
  const all = routes(t);
  const hostOf = (r: Route) => (r.listener === 'lan' ? t.lanHost : t.adminHost);
  const withBody = all.filter((r) => r.base !== undefined);
  const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)]!;
  const send = (r: Route, kind: string, body: string | Buffer, extra: Parameters<typeof rawRequest>[3] = {}) =>
    cases.push({
      kind,
      listener: r.listener,
      parts: [rawRequest(hostOf(r), r.method, r.path, { body, auth: r.auth, ...extra })],
    });

  // Wrong types, missing and unknown fields on every route that takes a body.
  for (const r of withBody) {
    const base = r.base!;
    for (const field of Object.keys(base)) {
      const { [field]: _dropped, ...missing } = base;
      send(r, 'missing field', JSON.stringify(missing));
      for (const value of HOSTILE_VALUES) send(r, 'wrong type', JSON.stringify({ ...base, [field]: value }));
    }
    for (const body of [
      'null',
      '"text"',
      '123',
      '[]',
      '[{}]',
      'true',
      '{',
      '{"a":}',
      '{"a":1,}',
      "{'a':1}",
      '\ufeff{}',
      '{}{}',
      'NaN',
    ]) {
      send(r, 'not an object', body);
    }
    send(r, 'unknown field', JSON.stringify({ ...base, surprise: 1 }));
    send(r, 'prototype keys', '{"__proto__":{"admin":true},"constructor":{"prototype":{"x":1}}}');
    send(r, 'deep JSON', DEEP_OBJECT);
    send(r, 'deep JSON', DEEP_ARRAY);
    send(r, '1 MB string', JSON.stringify({ ...base, hostname: MB_STRING }));
    for (const bytes of INVALID_UTF8) {
      const json = JSON.stringify({ ...base, hostname: 'MARK' });
      const [before, after] = json.split('MARK') as [string, string];
      send(r, 'invalid UTF-8', Buffer.concat([Buffer.from(before), bytes, Buffer.from(after)]));
    }
    for (const contentType of CONTENT_TYPES) send(r, 'wrong content type', JSON.stringify(base), { contentType });
    send(r, 'no content type', JSON.stringify(base), { contentType: null });
  }

  // Paths, percent-encoding and queries, on both listeners.
  for (const path of TRAVERSALS) {
    for (const listener of ['lan', 'admin'] as const) {
      const host = listener === 'lan' ? t.lanHost : t.adminHost;
      for (const method of ['GET', 'POST']) {
        cases.push({
          kind: 'path abuse',
          listener,
          parts: [
            rawRequest(host, method, path, {
              auth: listener === 'admin' ? `Bearer ${t.adminToken}` : undefined,
              body: method === 'POST' ? '{}' : undefined,
            }),
          ],
        });
      }
    }
  }
  for (const r of all) {
    const host = hostOf(r);
    for (const size of [2_000, 12_000, 70_000]) {
      cases.push({
        kind: 'huge query',
        listener: r.listener,
        parts: [rawRequest(host, r.method, `${r.path}?q=${'x'.repeat(size)}`, { auth: r.auth })],
      });
    }
    cases.push({
      kind: 'repeated query',
      listener: r.listener,
      parts: [rawRequest(host, r.method, `${r.path}?${'limit=1&'.repeat(1_000)}`, { auth: r.auth })],
    });
    cases.push({
      kind: 'long path',
      listener: r.listener,
      parts: [rawRequest(host, 'GET', `${r.path}/${'p'.repeat(8_000)}`, { auth: r.auth })],
    });
    for (const method of METHODS) {
      cases.push({
        kind: 'unknown method',
        listener: r.listener,
        head: method === 'HEAD',
        parts: [rawRequest(host, method, r.path, { auth: r.auth })],
      });
    }
    for (const version of ['HTTP/1.0', 'HTTP/2.0', 'HTTP/9.9', 'HTTP/1.1 extra', 'FTP/1.1']) {
      cases.push({
        kind: 'bad version',
        listener: r.listener,
        parts: [rawRequest(host, 'GET', r.path, { auth: r.auth, version })],
      });
    }
    const body = JSON.stringify(r.base ?? {});
    for (const abuse of headerAbuse(body)) {
      cases.push({
        kind: abuse.kind,
        listener: r.listener,
        parts: [
          rawRequest(host, r.method, r.path, {
            auth: r.auth,
            headers: abuse.headers,
            body: abuse.body,
            length: abuse.length,
            contentType: abuse.kind === 'huge content-type' ? `application/json; ${'y'.repeat(20_000)}` : undefined,
          }),
        ],
      });
    }
    for (const auth of [
      'Bearer',
      'Bearer ',
      'Basic YWRtaW46YWRtaW4=',
      'Bearer \u00ff\u00fe',
      'bearer x',
      `Bearer ${'z'.repeat(4_000)}`,
      'Bearer a b c',
      'Token x',
    ]) {
      cases.push({
        kind: 'bad authorization',
        listener: r.listener,
        parts: [rawRequest(host, r.method, r.path, { auth, body: r.base ? body : undefined })],
      });
    }
  }

  // Truncated bodies (Content-Length larger than sent, then the client closes its side) and slow ones.
  for (let i = 0; i < 60; i++) {
    const r = pick(withBody);
    const body = JSON.stringify({ ...r.base, hostname: 'truncated' });
    const request = rawRequest(hostOf(r), r.method, r.path, { body, auth: r.auth, length: body.length + 200 });
    cases.push({
      kind: 'truncated body',
      listener: r.listener,
      parts: [request],
      endAfterWrite: true,
      timeoutMs: 4_000,
    });
  }
  for (let i = 0; i < 30; i++) {
    const r = pick(withBody);
    const request = rawRequest(hostOf(r), r.method, r.path, {
      body: JSON.stringify({ ...r.base, hostname: 'slow' }),
      auth: r.auth,
    });
    const step = Math.ceil(request.length / 5);
    const parts = Array.from({ length: 5 }, (_, k) => request.subarray(k * step, (k + 1) * step));
    cases.push({ kind: 'slow body', listener: r.listener, parts, gapMs: 150, timeoutMs: 8_000 });
  }

  // The rest at random: random field sets with random hostile values, on random routes.
  while (cases.length < count) {
    const r = pick(withBody);
    const body: Record<string, unknown> = random() < 0.5 ? { ...r.base } : {};
    const n = 1 + Math.floor(random() * 5);
    for (let k = 0; k < n; k++) body[pick(FIELDS)] = pick(HOSTILE_VALUES);
    const path = random() < 0.1 ? r.path + pick(['?', '?a=%', '?a=1&a=2', '/x', '%20', '/..']) : r.path;
    cases.push({
      kind: 'random body',
      listener: r.listener,
      parts: [
        rawRequest(hostOf(r), r.method, path, { body: JSON.stringify(body), auth: random() < 0.9 ? r.auth : null }),
      ],
    });
  }
  return cases;
}
