import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../../../src/main/core/services/clock';
import { registration, startTestServer, type TestServer } from '../../../helpers/gatehouse';

const clock = manualClock(Date.now());
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ clock, failureLimit: 10 });
});
afterAll(async () => server.dispose());

const token = async (max_uses = 0) =>
  (
    (await (
      await server.admin('/api/admin/registration-tokens', { json: { expires_in_hours: 1, max_uses } })
    ).json()) as {
      token: string;
    }
  ).token;

describe('brute-force protection', () => {
  it('never slows a rack of hosts behind one address that all succeed', async () => {
    const t = await token();
    const answers = await Promise.all(
      Array.from({ length: 60 }, () => server.lan('/api/hosts/register', { json: registration(t) })),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(60).fill(201));
  });

  it('answers 429 with Retry-After past 10 refusals a minute, until the window passes', async () => {
    const t = await token();
    for (let i = 0; i < 10; i++) {
      const res = await server.lan('/api/hosts/register', { json: registration('GATE-0000-0000') });
      expect(res.status).toBe(400);
    }
    clock.advance(20_000);
    const blocked = await server.lan('/api/hosts/register', { json: registration(t) });
    expect(blocked.status).toBe(429);
    expect(blocked.headers.get('retry-after')).toBe('40');
    expect(await blocked.json()).toMatchObject({ error: { code: 'RATE_LIMITED' } });
    // Failed host authentications are blocked too, and count as well.
    expect((await server.lan('/api/hosts/me', { headers: { Authorization: 'Bearer x' } })).status).toBe(429);
    clock.advance(40_000);
    expect((await server.lan('/api/hosts/register', { json: registration(t) })).status).toBe(201);
  });

  it('counts failed host authentications', async () => {
    clock.advance(120_000);
    for (let i = 0; i < 10; i++) {
      expect(
        (await server.lan('/api/hosts/heartbeat', { method: 'POST', headers: { Authorization: 'Bearer x' } })).status,
      ).toBe(401);
    }
    expect((await server.lan('/api/hosts/heartbeat', { method: 'POST' })).status).toBe(429);
    clock.advance(61_000);
  });

  it('counts every kind of refused registration: unknown, expired, revoked, exhausted, denied source', async () => {
    clock.advance(120_000);
    const create = async (json: Record<string, unknown>) =>
      (await (await server.admin('/api/admin/registration-tokens', { json })).json()) as { id: string; token: string };
    const expiring = await create({ expires_at: new Date(clock.now() + 1000).toISOString(), max_uses: 0 });
    const revoked = await create({ expires_in_hours: 1, max_uses: 0 });
    await server.admin(`/api/admin/registration-tokens/${revoked.id}/revoke`, { method: 'POST' });
    const used = await create({ expires_in_hours: 1, max_uses: 1 });
    expect((await server.lan('/api/hosts/register', { json: registration(used.token) })).status).toBe(201);
    const elsewhere = await create({ expires_in_hours: 1, max_uses: 0, allowed_cidrs: ['10.0.0.0/8'] });
    const unknown = await create({ expires_in_hours: 1, max_uses: 0 });
    await server.admin(`/api/admin/registration-tokens/${unknown.id}`, { method: 'DELETE' });
    clock.advance(2000);
    const refusals: [string, string][] = [
      [expiring.token, 'TOKEN_EXPIRED'],
      [revoked.token, 'TOKEN_REVOKED'],
      [used.token, 'TOKEN_EXHAUSTED'],
      [elsewhere.token, 'TOKEN_SOURCE_DENIED'],
      [unknown.token, 'TOKEN_INVALID'],
    ];
    for (const [text, code] of [...refusals, ...refusals]) {
      const res = await server.lan('/api/hosts/register', { json: registration(text) });
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe(code);
    }
    const fresh = await create({ expires_in_hours: 1, max_uses: 0 });
    expect((await server.lan('/api/hosts/register', { json: registration(fresh.token) })).status).toBe(429);
    clock.advance(61_000);
  });
});
