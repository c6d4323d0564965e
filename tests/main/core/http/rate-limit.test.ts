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
    // The address limit is about guessing tokens: host credentials are judged on their own.
    expect((await server.lan('/api/hosts/me', { headers: { Authorization: 'Bearer x' } })).status).toBe(401);
    clock.advance(40_000);
    expect((await server.lan('/api/hosts/register', { json: registration(t) })).status).toBe(201);
  });

  it('counts a bad host credential against that credential, never against its address', async () => {
    clock.advance(120_000);
    const beat = (bearer: string) =>
      server.lan('/api/hosts/heartbeat', { method: 'POST', headers: { Authorization: `Bearer ${bearer}` } });
    for (let i = 0; i < 10; i++) expect((await beat('ghh_deleted-host')).status).toBe(401);
    expect((await beat('ghh_deleted-host')).status).toBe(429);
    // Another credential from the same address is not held back; nor is registration.
    expect((await beat('ghh_other-host')).status).toBe(401);
    expect((await server.lan('/api/hosts/register', { json: registration(await token()) })).status).toBe(201);
    clock.advance(61_000);
  });

  it('never refuses a request carrying a valid host credential, whatever its address did', async () => {
    clock.advance(120_000);
    const t = await token();
    const host = (await (await server.lan('/api/hosts/register', { json: registration(t) })).json()) as {
      host_id: string;
      host_token: string;
    };
    await server.admin(`/api/admin/hosts/${host.host_id}/approve`, { method: 'POST' });
    for (let i = 0; i < 12; i++) await server.lan('/api/hosts/register', { json: registration('GATE-0000-0000') });
    expect((await server.lan('/api/hosts/register', { json: registration(t) })).status).toBe(429);
    const beat = await server.lan('/api/hosts/heartbeat', {
      method: 'POST',
      headers: { Authorization: `Bearer ${host.host_token}` },
    });
    expect(beat.status).toBe(204);
    clock.advance(61_000);
  });

  it('does not count a registration refused only for a field other than the token', async () => {
    clock.advance(120_000);
    const t = await token();
    for (let i = 0; i < 15; i++) {
      const res = await server.lan('/api/hosts/register', { json: registration(t, { hostname: 'bad host!' }) });
      expect(res.status).toBe(400);
    }
    expect((await server.lan('/api/hosts/register', { json: registration(t) })).status).toBe(201);
  });

  it('reserves a slot before the body arrives: 25 slow guesses sent at once yield at most 10 refusals', async () => {
    clock.advance(120_000);
    const { request } = await import('node:http');
    const url = new URL(server.endpoint.lan_url);
    const body = JSON.stringify(registration('GATE-0000-0000'));
    const slowGuess = () =>
      new Promise<number>((resolve, reject) => {
        const req = request(
          {
            host: url.hostname,
            port: url.port,
            path: '/api/hosts/register',
            method: 'POST',
            agent: false,
            headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode!);
          },
        );
        req.on('error', reject);
        req.write(body.slice(0, 10));
        setTimeout(() => req.end(body.slice(10)), 300);
      });
    const statuses = await Promise.all(Array.from({ length: 25 }, slowGuess));
    const refused = statuses.filter((s) => s === 400).length;
    console.log(
      `slow-body guesses: ${refused} reached the token check, ${statuses.filter((s) => s === 429).length} got 429`,
    );
    expect(refused).toBeLessThanOrEqual(10);
    expect(statuses.filter((s) => s === 429).length).toBe(25 - refused);
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
