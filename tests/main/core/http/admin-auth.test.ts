import type { Server } from 'node:http';
import express from 'express';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createAdminAuth,
  sameOriginOnly,
  type AdminAuth,
  type AdminAuthOptions,
} from '../../../../src/main/core/http/admin/admin-auth';
import { close, listen, portOf } from '../../../../src/main/core/http/server';
import { errorHandler, notFound } from '../../../../src/main/core/http/middleware/errors';
import { manualClock } from '../../../../src/main/core/services/clock';

const ADMIN_TOKEN = 'gha_test-admin-token-0123456789abcdefghijklmnopqrstuvwxyz';
const HOUR = 3_600_000;

interface AuthServer {
  url: string;
  port: number;
  auth: AdminAuth;
  clock: ReturnType<typeof manualClock>;
  /** GET a protected admin route with the given cookie header. */
  adminWith(cookie: string): Promise<Response>;
  /** A session cookie ("name=value"), got through a fresh login code. */
  signIn(): Promise<string>;
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map(close));
});

/** The admin listener's auth wiring around a stand-in API route and UI, on a free loopback port. */
async function startAuthServer(extra: Partial<AdminAuthOptions> = {}): Promise<AuthServer> {
  const clock = manualClock();
  let port = 0;
  const auth = createAdminAuth({
    adminToken: ADMIN_TOKEN,
    port: () => port,
    clock,
    dataDir: '/var/lib/gatehouse',
    ...extra,
  });
  const app = express();
  app.use(sameOriginOnly(() => port));
  app.use(auth.routes);
  app.use('/api/admin', auth.requireAdmin);
  app.get('/api/admin/hosts', (_req, res) => res.json({ hosts: [], total_count: 0 }));
  app.use('/api', notFound);
  app.get(/^\/(?!api\/).*/, (_req, res) => res.type('html').send('<title>Gatehouse app</title>'));
  app.use(errorHandler(pino({ level: 'silent' })));
  const server = await listen(app, { host: '127.0.0.1', port: 0 });
  servers.push(server);
  port = portOf(server);
  const url = `http://127.0.0.1:${port}`;
  const adminWith = (cookie: string) => fetch(`${url}/api/admin/hosts`, { headers: { Cookie: cookie } });
  const signIn = async () => {
    const res = await fetch(auth.loginUrl(url), { redirect: 'manual' });
    expect(res.status).toBe(303);
    return res.headers.get('set-cookie')!.split(';')[0]!;
  };
  return { url, port, auth, clock, adminWith, signIn };
}

async function errorCode(res: Response): Promise<string> {
  return ((await res.json()) as { error: { code: string } }).error.code;
}

describe('login codes', () => {
  it('trades a fresh code for a session cookie scoped to this listener and sends the browser to /', async () => {
    const s = await startAuthServer();
    const res = await fetch(`${s.url}/login?code=${s.auth.newLoginCode()}`, { redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/');
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie.startsWith(`gatehouse_session_${s.port}=`)).toBe(true);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Strict/);
    expect(cookie).toMatch(/; Path=\//);
    expect(cookie).toMatch(/; Max-Age=604800/);
    expect((await s.adminWith(cookie.split(';')[0]!)).status).toBe(200);
  });

  it('refuses a code used a second time, saying how to get a fresh one', async () => {
    const s = await startAuthServer();
    const url = s.auth.loginUrl(s.url);
    expect((await fetch(url, { redirect: 'manual' })).status).toBe(303);
    const replay = await fetch(url, { redirect: 'manual' });
    expect(replay.status).toBe(401);
    expect(replay.headers.get('set-cookie')).toBeNull();
    const body = (await replay.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('UNAUTHORIZED');
    expect(body.error.message).toMatch(/already used or is more than a minute old/);
    expect(body.error.message).toMatch(/login_url/);
    expect(body.error.message).toContain('/var/lib/gatehouse/admin-token');
  });

  it('refuses a code older than 60 seconds and accepts one just younger', async () => {
    const s = await startAuthServer();
    const stale = s.auth.newLoginCode();
    const fresh = s.auth.newLoginCode();
    s.clock.advance(59_999);
    expect((await fetch(`${s.url}/login?code=${fresh}`, { redirect: 'manual' })).status).toBe(303);
    s.clock.advance(1);
    const res = await fetch(`${s.url}/login?code=${stale}`, { redirect: 'manual' });
    expect(res.status).toBe(401);
    expect(await errorCode(res)).toBe('UNAUTHORIZED');
  });

  it('accepts the code it was given at creation exactly once', async () => {
    const s = await startAuthServer({ loginCode: 'handed-in-code-0123456789' });
    const url = `${s.url}/login?code=handed-in-code-0123456789`;
    expect((await fetch(url, { redirect: 'manual' })).status).toBe(303);
    expect((await fetch(url, { redirect: 'manual' })).status).toBe(401);
  });

  it('shows a browser the sign-in page with the reason when its link is spent', async () => {
    const s = await startAuthServer();
    const res = await fetch(`${s.url}/login?code=never-minted`, { headers: { Accept: 'text/html' } });
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toMatch(/role="alert">This sign-in link was already used/);
    expect(html).toContain('<form method="post" action="/login">');
  });
});

describe('sessions', () => {
  it('end after 12 hours without use, and each use restarts that count', async () => {
    const s = await startAuthServer();
    const cookie = await s.signIn();
    s.clock.advance(12 * HOUR - 1);
    expect((await s.adminWith(cookie)).status).toBe(200);
    s.clock.advance(12 * HOUR - 1);
    expect((await s.adminWith(cookie)).status).toBe(200);
    s.clock.advance(12 * HOUR);
    const res = await s.adminWith(cookie);
    expect(res.status).toBe(401);
    expect(await errorCode(res)).toBe('UNAUTHORIZED');
    expect(s.auth.sessionCount()).toBe(0);
  });

  it('end seven days after sign-in however often they are used', async () => {
    const s = await startAuthServer();
    const start = s.clock.now();
    const cookie = await s.signIn();
    for (let t = 11 * HOUR; t < 7 * 24 * HOUR; t += 11 * HOUR) {
      s.clock.set(start + t);
      expect((await s.adminWith(cookie)).status).toBe(200);
    }
    s.clock.set(start + 7 * 24 * HOUR);
    expect((await s.adminWith(cookie)).status).toBe(401);
  });

  it('keeps at most 64, ending the least recently used first', async () => {
    const s = await startAuthServer();
    const cookies: string[] = [];
    for (let i = 0; i < 64; i++) cookies.push(await s.signIn());
    expect(s.auth.sessionCount()).toBe(64);
    // Using the oldest makes the second the least recently used.
    expect((await s.adminWith(cookies[0]!)).status).toBe(200);
    const newest = await s.signIn();
    expect(s.auth.sessionCount()).toBe(64);
    expect((await s.adminWith(cookies[1]!)).status).toBe(401);
    expect((await s.adminWith(cookies[0]!)).status).toBe(200);
    expect((await s.adminWith(cookies[2]!)).status).toBe(200);
    expect((await s.adminWith(newest)).status).toBe(200);
  });

  it('end at logout, which clears the cookie and leaves other sessions alone', async () => {
    const s = await startAuthServer();
    const mine = await s.signIn();
    const other = await s.signIn();
    const res = await fetch(`${s.url}/api/admin/logout`, { method: 'POST', headers: { Cookie: mine } });
    expect(res.status).toBe(204);
    expect(res.headers.get('set-cookie')).toBe(
      `gatehouse_session_${s.port}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`,
    );
    expect((await s.adminWith(mine)).status).toBe(401);
    expect((await s.adminWith(other)).status).toBe(200);
  });

  it('are named per instance, so one listener never takes another one’s cookie', async () => {
    const a = await startAuthServer();
    const b = await startAuthServer();
    const cookieA = await a.signIn();
    const cookieB = await b.signIn();
    const nameA = cookieA.split('=')[0]!;
    const nameB = cookieB.split('=')[0]!;
    expect(nameA).not.toBe(nameB);
    // A browser sends both cookies to both ports of 127.0.0.1.
    expect((await a.adminWith(`${cookieA}; ${cookieB}`)).status).toBe(200);
    expect((await b.adminWith(`${cookieA}; ${cookieB}`)).status).toBe(200);
    // A's session id under B's name is still unknown to B.
    expect((await b.adminWith(`${nameB}=${cookieA.split('=')[1]}`)).status).toBe(401);
  });

  it('without a port the cookie name carries a random instance id', () => {
    const one = createAdminAuth({ adminToken: ADMIN_TOKEN });
    const two = createAdminAuth({ adminToken: ADMIN_TOKEN });
    expect(one.cookieName()).toMatch(/^gatehouse_session_[0-9a-f]{12}$/);
    expect(one.cookieName()).not.toBe(two.cookieName());
  });
});

describe('same origin only', () => {
  it.each([
    ['same-site', 403],
    ['cross-site', 403],
    ['same-origin', 200],
    ['none', 200],
  ])('answers Sec-Fetch-Site: %s with %i', async (site, status) => {
    const s = await startAuthServer();
    const res = await fetch(`${s.url}/api/admin/hosts`, {
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Sec-Fetch-Site': site },
    });
    expect(res.status).toBe(status);
    if (status === 403) expect(await errorCode(res)).toBe('FORBIDDEN');
  });

  it('lets a script without Sec-Fetch-Site through', async () => {
    const s = await startAuthServer();
    const res = await fetch(`${s.url}/api/admin/hosts`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(200);
  });

  it('refuses a login link opened from another port of this host', async () => {
    const s = await startAuthServer();
    const res = await fetch(s.auth.loginUrl(s.url), { redirect: 'manual', headers: { 'Sec-Fetch-Site': 'same-site' } });
    expect(res.status).toBe(403);
    expect(res.headers.get('set-cookie')).toBeNull();
  });
});

describe('the sign-in page', () => {
  it('is what a browser gets for the UI without a session', async () => {
    const s = await startAuthServer();
    for (const path of ['/', '/tokens', '/hosts/123']) {
      const res = await fetch(s.url + path, { headers: { Accept: 'text/html,application/xhtml+xml' } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
      const html = await res.text();
      expect(html).toContain('This Gatehouse needs you to sign in.');
      expect(html).toContain('/var/lib/gatehouse/endpoint.json');
      expect(html).not.toContain('Gatehouse app');
    }
  });

  it('gives way to the UI once signed in', async () => {
    const s = await startAuthServer();
    const cookie = await s.signIn();
    const res = await fetch(`${s.url}/tokens`, { headers: { Accept: 'text/html', Cookie: cookie } });
    expect(await res.text()).toContain('Gatehouse app');
  });

  it('is also what GET /login without a code shows', async () => {
    const s = await startAuthServer();
    const res = await fetch(`${s.url}/login`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('This Gatehouse needs you to sign in.');
  });

  it('is never the answer to an API call: that stays 401 JSON', async () => {
    const s = await startAuthServer();
    const res = await fetch(`${s.url}/api/admin/hosts`, { headers: { Accept: 'text/html' } });
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await errorCode(res)).toBe('UNAUTHORIZED');
  });
});

describe('signing in with the admin token', () => {
  it('takes the token from the form and sends the browser to the UI with a session', async () => {
    const s = await startAuthServer();
    const res = await fetch(`${s.url}/login`, {
      method: 'POST',
      redirect: 'manual',
      body: new URLSearchParams({ token: ` ${ADMIN_TOKEN}\n` }),
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/');
    expect((await s.adminWith(res.headers.get('set-cookie')!.split(';')[0]!)).status).toBe(200);
  });

  it('takes the token as JSON and answers 204 with a session cookie', async () => {
    const s = await startAuthServer();
    const res = await fetch(`${s.url}/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ token: ADMIN_TOKEN }),
    });
    expect(res.status).toBe(204);
    expect((await s.adminWith(res.headers.get('set-cookie')!.split(';')[0]!)).status).toBe(200);
  });

  it('refuses a wrong token, one character short too, without a cookie', async () => {
    const s = await startAuthServer();
    for (const token of ['nope', ADMIN_TOKEN.slice(0, -1), `${ADMIN_TOKEN}x`]) {
      const res = await fetch(`${s.url}/login`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ token }),
      });
      expect(res.status).toBe(401);
      expect(res.headers.get('set-cookie')).toBeNull();
      expect(await errorCode(res)).toBe('UNAUTHORIZED');
    }
  });

  it('shows the form again with the reason when a pasted token is wrong', async () => {
    const s = await startAuthServer();
    const res = await fetch(`${s.url}/login`, {
      method: 'POST',
      headers: { Accept: 'text/html' },
      body: new URLSearchParams({ token: 'wrong' }),
    });
    expect(res.status).toBe(401);
    const html = await res.text();
    expect(html).toContain('That is not this Gatehouse&#39;s admin token');
    expect(html).not.toContain('wrong');
  });

  it('names the missing field', async () => {
    const s = await startAuthServer();
    const res = await fetch(`${s.url}/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('VALIDATION_FAILED');
    expect(body.error.message).toMatch(/^token is required/);
  });
});

describe('the sign-in limiter', () => {
  const postToken = (s: AuthServer, token: string) =>
    fetch(`${s.url}/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ token }),
    });

  it('answers 429 with Retry-After after ten refusals a minute, even to the right token, until the minute passes', async () => {
    const s = await startAuthServer();
    for (let i = 0; i < 10; i++) expect((await postToken(s, `wrong-${i}`)).status).toBe(401);
    const limited = await postToken(s, ADMIN_TOKEN);
    expect(limited.status).toBe(429);
    expect(await errorCode(limited)).toBe('RATE_LIMITED');
    expect(Number(limited.headers.get('retry-after'))).toBe(60);
    expect(limited.headers.get('set-cookie')).toBeNull();
    s.clock.advance(60_000);
    expect((await postToken(s, ADMIN_TOKEN)).status).toBe(204);
  });

  it('counts bad login codes too, and never successes', async () => {
    const s = await startAuthServer();
    for (let i = 0; i < 20; i++) await s.signIn();
    for (let i = 0; i < 10; i++) {
      expect((await fetch(`${s.url}/login?code=bad-${i}`, { redirect: 'manual' })).status).toBe(401);
    }
    const res = await fetch(s.auth.loginUrl(s.url), { redirect: 'manual' });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('60');
  });
});
