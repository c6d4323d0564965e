import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_STATUS } from '../../src/shared/api/errors';
import { registration, startTestServer, type TestServer } from '../helpers/gatehouse';

let server: TestServer;
let token: string;
beforeAll(async () => {
  server = await startTestServer();
  token = (
    (await (
      await server.admin('/api/admin/registration-tokens', { json: { expires_in_hours: 1, max_uses: 0 } })
    ).json()) as { token: string }
  ).token;
});
afterAll(async () => server.dispose());

/** A raw request: the path is sent exactly as given, without URL normalisation. */
function raw(base: string, method: string, path: string, body?: string, headers: Record<string, string> = {}) {
  const url = new URL(base);
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method, path, headers }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function expectContractError(answer: { status: number; body: string }) {
  expect(answer.status).toBeGreaterThanOrEqual(400);
  expect(answer.status).toBeLessThan(500);
  const body = JSON.parse(answer.body) as { error: { code: keyof typeof ERROR_STATUS; message: string } };
  expect(Object.keys(ERROR_STATUS)).toContain(body.error.code);
  expect(ERROR_STATUS[body.error.code]).toBe(answer.status);
  expect(body.error.message.length).toBeGreaterThan(10);
}

const json = { 'Content-Type': 'application/json' };

describe('bad input on the LAN listener gets a contract 4xx, never a 5xx', () => {
  const cases: [string, string, string, string?, Record<string, string>?][] = [
    ['broken percent-encoding', 'GET', '/api/hosts/%E0%A4%A'],
    ['broken JSON', 'POST', '/api/hosts/register', '{"token":', json],
    ['a JSON string body', 'POST', '/api/hosts/register', '"hello"', json],
    ['a JSON array body', 'POST', '/api/hosts/register', '[]', json],
    ['a latin1 charset', 'POST', '/api/hosts/register', '{}', { 'Content-Type': 'application/json; charset=latin1' }],
    ['prototype keys', 'POST', '/api/hosts/register', '{"__proto__":{"admin":true},"constructor":{}}', json],
    ['deep nesting', 'POST', '/api/hosts/register', '{"token":' + '['.repeat(5000) + ']'.repeat(5000) + '}', json],
    ['a wrong method', 'GET', '/api/hosts/register'],
    [
      'a NUL in the hostname',
      'POST',
      '/api/hosts/register',
      JSON.stringify({ hostname: 'a\u0000b', machine_id: 'x', token: 'x' }),
      json,
    ],
  ];
  it.each(cases)('%s', async (_name, method, path, body, headers) => {
    expectContractError(await raw(server.endpoint.lan_url, method, path, body, headers));
  });

  it('unicode, overlong and numeric fields', async () => {
    for (const over of [
      { hostname: 'höst' },
      { hostname: 'a'.repeat(300) },
      { machine_id: 12345678 },
      { labels: 'gpu' },
      { ips: ['999.1.1.1'] },
    ]) {
      expectContractError(
        await raw(
          server.endpoint.lan_url,
          'POST',
          '/api/hosts/register',
          JSON.stringify(registration(token, over)),
          json,
        ),
      );
    }
  });
});

describe('bad input on the admin listener gets a contract 4xx, never a 5xx', () => {
  const auth = () => ({ Authorization: `Bearer ${server.adminToken}`, Host: new URL(server.endpoint.admin_url).host });
  const cases: [string, string, string, string?][] = [
    ['broken percent-encoding in an id', 'GET', '/api/admin/registration-tokens/%E0%A4%A'],
    ['a non-uuid id', 'POST', '/api/admin/hosts/123/approve'],
    ['broken JSON', 'POST', '/api/admin/registration-tokens', '{'],
    ['a bad status filter', 'GET', '/api/admin/hosts?status=SLEEPING'],
    ['a repeated query parameter', 'GET', '/api/admin/registration-tokens?include_expired=true&include_expired=false'],
    ['a negative audit limit', 'GET', '/api/admin/audit?limit=-1'],
    ['a huge audit limit', 'GET', '/api/admin/audit?limit=99999999999999999999'],
    ['an empty bulk', 'POST', '/api/admin/hosts/bulk', '{"action":"approve","ids":[]}'],
    ['an unknown route', 'GET', '/api/admin/nothing'],
  ];
  it.each(cases)('%s', async (_name, method, path, body) => {
    expectContractError(await raw(server.endpoint.admin_url, method, path, body, { ...auth(), ...(body ? json : {}) }));
  });
});
