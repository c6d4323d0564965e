import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../../../src/main/core/services/clock';
import { registration, startTestServer, type TestServer } from '../../../helpers/gatehouse';

const clock = manualClock(Date.now());
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ clock, failureLimit: 1000 });
});
afterAll(async () => server.dispose());

async function newToken(json: Record<string, unknown> = {}) {
  const res = await server.admin('/api/admin/registration-tokens', {
    json: { expires_in_hours: 1, max_uses: 0, ...json },
  });
  return (await res.json()) as { id: string; token: string };
}

/** A registration answer: success fields or the contract error. */
interface RegisterAnswer {
  host_id: string;
  host_token: string;
  status: string;
  error: { code: string; message: string };
  [key: string]: unknown;
}

async function register(body: unknown, headers: Record<string, string> = {}) {
  const res = await server.lan('/api/hosts/register', { json: body, headers });
  return { status: res.status, body: (await res.json()) as RegisterAnswer, headers: res.headers };
}

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

describe('POST /api/hosts/register', () => {
  it('answers 201 {host_id, host_token, status, verification_code}', async () => {
    const { status, body } = await register(registration((await newToken()).token));
    expect(status).toBe(201);
    expect(Object.keys(body).sort()).toEqual(['host_id', 'host_token', 'status', 'verification_code']);
    expect(body.status).toBe('PENDING');
  });

  it.each([
    ['VALIDATION_FAILED', 400, (t: string) => registration(t, { hostname: 'bad host!' })],
    ['VALIDATION_FAILED', 400, (t: string) => registration(t, { machine_id: '' })],
    ['VALIDATION_FAILED', 400, (t: string) => ({ ...registration(t), extra: 1 })],
    ['VALIDATION_FAILED', 400, (t: string) => registration(t, { ips: ['not-an-ip'] })],
    ['TOKEN_MALFORMED', 400, (t: string) => registration(t.slice(0, -1) + (t.endsWith('Z') ? 'Y' : 'Z'))],
    ['TOKEN_MALFORMED', 400, () => registration('hello')],
  ])('refuses with %s (%i)', async (code, status, body) => {
    const t = await newToken();
    const res = await register(body(t.token));
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject({ error: { code, message: expect.any(String) } });
  });

  it('401 TOKEN_INVALID for a well-formed token that does not exist', async () => {
    const t = await newToken();
    await server.admin(`/api/admin/registration-tokens/${t.id}`, { method: 'DELETE' });
    expect((await register(registration(t.token))).body.error.code).toBe('TOKEN_INVALID');
  });

  it('401 TOKEN_REVOKED, TOKEN_EXHAUSTED and TOKEN_EXPIRED', async () => {
    const revoked = await newToken();
    await server.admin(`/api/admin/registration-tokens/${revoked.id}/revoke`, { method: 'POST' });
    expect(await register(registration(revoked.token))).toMatchObject({
      status: 401,
      body: { error: { code: 'TOKEN_REVOKED' } },
    });

    const single = await newToken({ max_uses: 1 });
    await register(registration(single.token));
    expect(await register(registration(single.token))).toMatchObject({
      status: 401,
      body: { error: { code: 'TOKEN_EXHAUSTED' } },
    });

    const expiring = await newToken({ expires_in_hours: 1 });
    clock.advance(3_600_000);
    expect(await register(registration(expiring.token))).toMatchObject({
      status: 401,
      body: { error: { code: 'TOKEN_EXPIRED' } },
    });
  });

  it('403 TOKEN_SOURCE_DENIED outside allowed_cidrs', async () => {
    const t = await newToken({ allowed_cidrs: ['10.0.0.0/8'] });
    expect(await register(registration(t.token))).toMatchObject({
      status: 403,
      body: { error: { code: 'TOKEN_SOURCE_DENIED' } },
    });
    const loopback = await newToken({ allowed_cidrs: ['127.0.0.0/8'] });
    expect((await register(registration(loopback.token))).status).toBe(201);
  });

  it('413 for an oversized body and 415 for a body that is not JSON', async () => {
    const t = await newToken();
    const big = await register(registration(t.token, { os: 'x'.repeat(70_000) }));
    expect(big.status).toBe(413);
    const form = await server.lan('/api/hosts/register', {
      method: 'POST',
      body: 'token=x',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    expect(form.status).toBe(415);
    expect(await form.json()).toMatchObject({ error: { code: 'UNSUPPORTED_MEDIA_TYPE' } });
  });

  it('replays an Idempotency-Key: same host, no second use', async () => {
    const t = await newToken({ max_uses: 1 });
    const body = registration(t.token);
    const first = await register(body, { 'Idempotency-Key': 'replay-key-000001' });
    const second = await register(body, { 'Idempotency-Key': 'replay-key-000001' });
    expect(second).toMatchObject({ status: 201, body: first.body });
    const me = await server.lan('/api/hosts/me', { headers: bearer(second.body.host_token) });
    expect(me.status).toBe(200);
  });
});

describe('host credential endpoints', () => {
  it('GET /api/hosts/me answers status and labels, 401 UNAUTHORIZED without a valid bearer', async () => {
    const t = await newToken({ labels: ['rack=c3'] });
    const { body } = await register(registration(t.token));
    const me = await server.lan('/api/hosts/me', { headers: bearer(body.host_token) });
    expect(await me.json()).toMatchObject({ host_id: body.host_id, status: 'PENDING', labels: ['rack=c3'] });
    for (const headers of [{}, bearer('ghh_nope'), { Authorization: 'Basic abc' }]) {
      const res = await server.lan('/api/hosts/me', { headers });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
    }
  });

  it('heartbeat: 403 HOST_PENDING / HOST_REJECTED / HOST_DISABLED, then 204 and ONLINE', async () => {
    const { body } = await register(registration((await newToken()).token));
    const beat = () => server.lan('/api/hosts/heartbeat', { method: 'POST', headers: bearer(body.host_token) });
    const code = async () => ((await (await beat()).json()) as { error: { code: string } }).error.code;
    expect(await code()).toBe('HOST_PENDING');
    await server.admin(`/api/admin/hosts/${body.host_id}/reject`, { json: { reason: 'wrong rack' } });
    expect(await code()).toBe('HOST_REJECTED');
    await server.admin(`/api/admin/hosts/${body.host_id}/approve`, { method: 'POST' });
    await server.admin(`/api/admin/hosts/${body.host_id}/disable`, { method: 'POST' });
    expect(await code()).toBe('HOST_DISABLED');
    await server.admin(`/api/admin/hosts/${body.host_id}/enable`, { method: 'POST' });
    expect((await beat()).status).toBe(204);
    const host = await (await server.admin(`/api/admin/hosts/${body.host_id}`)).json();
    expect(host).toMatchObject({ connectivity: 'ONLINE', status: 'APPROVED' });
  });

  it('rotation: the old credential works until the new one is first used', async () => {
    const { body } = await register(registration((await newToken({ auto_approve: true })).token));
    const rotated = await server.lan('/api/hosts/credentials/rotate', {
      method: 'POST',
      headers: bearer(body.host_token),
    });
    const { host_token } = (await rotated.json()) as { host_token: string };
    const me = (t: string) => server.lan('/api/hosts/me', { headers: bearer(t) });
    expect((await me(body.host_token)).status).toBe(200);
    expect((await me(host_token)).status).toBe(200);
    expect((await me(body.host_token)).status).toBe(401);
  });

  it('deleting a host kills its credential at once', async () => {
    const { body } = await register(registration((await newToken({ auto_approve: true })).token));
    expect((await server.admin(`/api/admin/hosts/${body.host_id}`, { method: 'DELETE' })).status).toBe(204);
    expect(
      (await server.lan('/api/hosts/heartbeat', { method: 'POST', headers: bearer(body.host_token) })).status,
    ).toBe(401);
  });
});

describe('the rest of the LAN listener', () => {
  it('answers /api/health', async () => {
    expect(await (await server.lan('/api/health')).json()).toEqual({ status: 'ok', version: 'test' });
  });

  it('serves no admin route at all, even with the admin token', async () => {
    const res = await server.lan('/api/admin/registration-tokens', { headers: bearer(server.adminToken) });
    expect(res.status).toBe(404);
    const events = await server.lan('/api/admin/events', { headers: bearer(server.adminToken) });
    expect(events.status).toBe(404);
  });

  it('serves join.sh with its own URL filled in, and the join page', async () => {
    const script = await (await server.lan('/join.sh')).text();
    expect(script).toMatch(/^#!\/bin\/sh/);
    expect(script).toContain(`JOIN_URL='${server.endpoint.lan_url}'`);
    const page = await server.lan('/join');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await page.text()).toContain('<script src="/join.js">');
  });

  it('answers unknown paths with a contract 404', async () => {
    const res = await server.lan('/nope');
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });
});
