import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operations } from '../../../../src/shared/api/operations';
import { startTestServer, type TestServer } from '../../../helpers/gatehouse';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => server.dispose());

const createToken = (json: unknown) => server.admin('/api/admin/registration-tokens', { json });

/** A raw request, so Host and Origin can be set freely. */
function rawGet(path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  const url = new URL(server.endpoint.admin_url + path);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, headers }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('admin listener', () => {
  it('listens on loopback only', () => {
    expect(new URL(server.endpoint.admin_url).hostname).toBe('127.0.0.1');
  });

  it('refuses a missing or wrong bearer token, including one of another length', async () => {
    for (const auth of [
      undefined,
      'Bearer nope',
      `Bearer ${server.adminToken}x`,
      `Bearer ${server.adminToken.slice(0, -1)}`,
    ]) {
      const res = await fetch(`${server.endpoint.admin_url}/api/admin/registration-tokens`, {
        headers: auth ? { Authorization: auth } : {},
      });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
    }
  });

  it('refuses requests whose Host or Origin is not its own', async () => {
    const port = new URL(server.endpoint.admin_url).port;
    const auth = { Authorization: `Bearer ${server.adminToken}` };
    const path = '/api/admin/registration-tokens';
    expect((await rawGet(path, { ...auth, Host: `127.0.0.1:${port}` })).status).toBe(200);
    expect((await rawGet(path, { ...auth, Host: `localhost:${port}` })).status).toBe(200);
    expect((await rawGet(path, { ...auth, Host: `evil.example:${port}` })).status).toBe(403);
    expect((await rawGet(path, { ...auth, Host: `127.0.0.1:${port}`, Origin: 'http://evil.example' })).status).toBe(
      403,
    );
    expect(
      (await rawGet(path, { ...auth, Host: `127.0.0.1:${port}`, Origin: `http://127.0.0.1:${port}` })).status,
    ).toBe(200);
  });

  it('signs a browser in through login_url with an HttpOnly SameSite cookie', async () => {
    const res = await fetch(server.endpoint.login_url, { redirect: 'manual' });
    expect(res.status).toBe(303);
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const session = cookie.split(';')[0]!;
    const list = await fetch(`${server.endpoint.admin_url}/api/admin/hosts`, { headers: { Cookie: session } });
    expect(list.status).toBe(200);
    const bad = await fetch(`${server.endpoint.admin_url}/login?code=wrong`, { redirect: 'manual' });
    expect(bad.status).toBe(401);
  });

  it('serves a route for every operation of the contract', async () => {
    for (const spec of Object.values(operations)) {
      const path = spec.path.replace(':id', '00000000-0000-4000-8000-000000000000');
      const res = await server.admin(path, { method: spec.method });
      // A route exists when the answer is a contract error other than "nothing is served here".
      const body = res.status === 204 ? {} : ((await res.json()) as { error?: { message: string } });
      expect(body.error?.message ?? '').not.toMatch(/^Nothing is served/);
    }
  });
});

describe('token endpoints', () => {
  it('create → 201 with token, join_url and join_command; get; list; revoke; delete', async () => {
    const created = await createToken({
      description: 'rack A',
      expires_in_hours: 24,
      max_uses: 5,
      labels: ['rack=a1'],
    });
    expect(created.status).toBe(201);
    const token = (await created.json()) as Record<string, unknown>;
    expect(Object.keys(token)).toEqual(
      expect.arrayContaining([
        'id',
        'token',
        'join_url',
        'join_command',
        'state',
        'is_valid',
        'used_by_nodes',
        'failed_attempts',
      ]),
    );
    const got = await server.admin(`/api/admin/registration-tokens/${token.id}`);
    const gotText = await got.text();
    expect(JSON.parse(gotText)).toMatchObject({ id: token.id, state: 'active' });
    expect(gotText).not.toContain(String(token.token));
    const list = (await (await server.admin('/api/admin/registration-tokens')).json()) as {
      tokens: { id: string }[];
      total_count: number;
    };
    expect(list.tokens.map((t) => t.id)).toContain(token.id);
    expect(list.total_count).toBe(list.tokens.length);
    const revoked = await server.admin(`/api/admin/registration-tokens/${token.id}/revoke`, { method: 'POST' });
    expect(await revoked.json()).toMatchObject({ state: 'revoked', is_valid: false });
    const qr = await server.admin(`/api/admin/registration-tokens/${token.id}/qr?format=svg`);
    expect(qr.status).toBe(409);
    expect(await qr.json()).toMatchObject({ error: { code: 'TOKEN_NOT_VALID' } });
    expect((await server.admin(`/api/admin/registration-tokens/${token.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await server.admin(`/api/admin/registration-tokens/${token.id}`)).status).toBe(404);
  });

  it('serves the QR code of an active token as SVG or PNG', async () => {
    const token = (await (await createToken({ expires_in_hours: 1, max_uses: 1 })).json()) as { id: string };
    const svg = await server.admin(`/api/admin/registration-tokens/${token.id}/qr?format=svg`);
    expect(svg.headers.get('content-type')).toMatch(/image\/svg\+xml/);
    expect(await svg.text()).toMatch(/^<svg/);
    const png = await server.admin(`/api/admin/registration-tokens/${token.id}/qr?format=png`);
    expect(png.headers.get('content-type')).toBe('image/png');
    expect(
      Buffer.from(await png.arrayBuffer())
        .subarray(1, 4)
        .toString(),
    ).toBe('PNG');
  });

  it.each([
    ['no expiry', { max_uses: 1 }],
    ['both expiries', { max_uses: 1, expires_in_hours: 1, expires_at: '2099-01-01T00:00:00Z' }],
    ['no max_uses', { expires_in_hours: 1 }],
    ['negative max_uses', { expires_in_hours: 1, max_uses: -1 }],
    ['fractional max_uses', { expires_in_hours: 1, max_uses: 1.5 }],
    ['an unknown field', { expires_in_hours: 1, max_uses: 1, admin: true }],
    ['a huge description', { expires_in_hours: 1, max_uses: 1, description: 'x'.repeat(201) }],
    ['a label with spaces', { expires_in_hours: 1, max_uses: 1, labels: ['not a label'] }],
    ['a bad CIDR', { expires_in_hours: 1, max_uses: 1, allowed_cidrs: ['10.0.0.0/33'] }],
    ['an expiry in the past', { expires_at: '2001-01-01T00:00:00Z', max_uses: 1 }],
    ['a string for a number', { expires_in_hours: '4', max_uses: 1 }],
    ['an array body', [1, 2]],
    ['a null body', null],
  ])('refuses %s with 400 VALIDATION_FAILED', async (_name, body) => {
    const res = await createToken(body);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'VALIDATION_FAILED', message: expect.any(String) } });
  });

  it('refuses a non-JSON body with 415 and an oversized one with 413', async () => {
    const text = await server.admin('/api/admin/registration-tokens', {
      method: 'POST',
      body: 'max_uses=1',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    expect(text.status).toBe(415);
    const big = await createToken({ expires_in_hours: 1, max_uses: 1, description: 'x'.repeat(1_100_000) });
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
  });

  it('answers 404 NOT_FOUND for an unknown id and 400 for a malformed one', async () => {
    const missing = await server.admin('/api/admin/registration-tokens/00000000-0000-4000-8000-000000000000');
    expect(missing.status).toBe(404);
    const malformed = await server.admin('/api/admin/registration-tokens/not-a-uuid');
    expect(malformed.status).toBe(400);
  });

  it('include_expired accepts only true or false', async () => {
    expect((await server.admin('/api/admin/registration-tokens?include_expired=true')).status).toBe(200);
    expect((await server.admin('/api/admin/registration-tokens?include_expired=yes')).status).toBe(400);
  });

  it('the audit endpoint pages newest first', async () => {
    const res = await server.admin('/api/admin/audit?limit=2');
    const page = (await res.json()) as { entries: { id: number; actor: string }[]; next_cursor: number };
    expect(page.entries).toHaveLength(2);
    expect(page.entries[0]!.id).toBeGreaterThan(page.entries[1]!.id);
    expect(page.entries[0]!.actor).toBe('admin');
    const next = (await (
      await server.admin(`/api/admin/audit?limit=2&before=${page.next_cursor}`)
    ).json()) as typeof page;
    expect(next.entries[0]!.id).toBeLessThan(page.entries[1]!.id);
  });
});

describe('hosts and live events', () => {
  it('streams an event for every change over SSE', async () => {
    const controller = new AbortController();
    const res = await fetch(`${server.endpoint.admin_url}/api/admin/events`, {
      headers: { Authorization: `Bearer ${server.adminToken}` },
      signal: controller.signal,
    });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = res.body!.getReader();
    const created = (await (await createToken({ expires_in_hours: 1, max_uses: 1 })).json()) as { id: string };
    let text = '';
    while (!text.includes(created.id)) text += new TextDecoder().decode((await reader.read()).value);
    expect(text).toContain(`"topic":"tokens","action":"created","id":"${created.id}"`);
    controller.abort();
  });

  it('bulk-approves and answers per id', async () => {
    const token = (await (await createToken({ expires_in_hours: 1, max_uses: 0 })).json()) as { token: string };
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const reg = await server.lan('/api/hosts/register', {
        json: { token: token.token, hostname: `bulk-${i}`, machine_id: `bulk-machine-${i}` },
      });
      ids.push(((await reg.json()) as { host_id: string }).host_id);
    }
    const res = await server.admin('/api/admin/hosts/bulk', { json: { action: 'approve', ids } });
    const { results } = (await res.json()) as { results: { id: string; ok: boolean; status: string }[] };
    expect(results).toEqual(ids.map((id) => ({ id, ok: true, status: 'APPROVED' })));
    const bad = await server.admin('/api/admin/hosts/bulk', { json: { action: 'explode', ids } });
    expect(bad.status).toBe(400);
  });
});

describe('settings that reach join.sh', () => {
  it('refuses an advertise_url with shell syntax, naming the field', async () => {
    const res = await server.admin('/api/admin/settings', { json: { advertise_url: "https://gh.lab'$(id)" } });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('VALIDATION_FAILED');
    expect(body.error.message).toContain('advertise_url');
  });
});

describe('headless LAN settings', () => {
  it('says the command line decides where the LAN listener binds', async () => {
    const info = (await (await server.admin('/api/admin/system')).json()) as { lan_source: string };
    expect(info.lan_source).toBe('command_line');
  });

  it('refuses to save a LAN port that would never take effect, naming the flag', async () => {
    const res = await server.admin('/api/admin/settings', { json: { lan_port: 9443 } });
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/lan_port.*--port/);
    const ok = await server.admin('/api/admin/settings', { json: { offline_threshold_seconds: 120 } });
    expect(ok.status).toBe(200);
  });
});
