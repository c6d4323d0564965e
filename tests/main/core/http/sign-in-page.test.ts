import { createHash } from 'node:crypto';
import type { Server } from 'node:http';
import express from 'express';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminAuth, sameOriginOnly } from '../../../../src/main/core/http/admin/admin-auth';
import { renderSignInPage, SIGN_IN_CSP } from '../../../../src/main/core/http/admin/sign-in-page';
import { securityHeaders } from '../../../../src/main/core/http/middleware/hardening';
import { close, listen, portOf } from '../../../../src/main/core/http/server';
import { launchChromium } from '../../../helpers/browser';

describe('the sign-in page markup', () => {
  const html = renderSignInPage({ dataDir: '/srv/gatehouse' });

  it('says where the login URL and the admin token are', () => {
    expect(html).toContain(
      'This Gatehouse needs you to sign in. Open the login URL printed by <code>npm run serve</code> or stored in ' +
        '<code>/srv/gatehouse/endpoint.json</code>, or paste the admin token from <code>/srv/gatehouse/admin-token</code>.',
    );
  });

  it('names the data directory generically when it is not known', () => {
    expect(renderSignInPage()).toContain('<code>&lt;data dir&gt;/endpoint.json</code>');
  });

  it('declares its language, has one h1 and a labelled password input', () => {
    expect(html).toMatch(/<html lang="en">/);
    expect(html.match(/<h1[ >]/g)).toHaveLength(1);
    expect(html).toContain('<label for="token">');
    expect(html).toMatch(/<input id="token" name="token" type="password"/);
  });

  it('carries no script at all', () => {
    expect(html).not.toMatch(/<script|\son\w+=/i);
  });

  it('escapes what it shows', () => {
    const page = renderSignInPage({ dataDir: '/tmp/<b>"x"', notice: '<img src=x onerror=alert(1)>' });
    expect(page).toContain('/tmp/&lt;b&gt;&quot;x&quot;/endpoint.json');
    expect(page).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(page).not.toContain('<img');
  });

  it('allows exactly its own style by hash and nothing else', () => {
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1]!;
    const hash = createHash('sha256').update(style).digest('base64');
    expect(SIGN_IN_CSP).toContain(`style-src 'sha256-${hash}'`);
    expect(SIGN_IN_CSP).toMatch(/default-src 'none'/);
    expect(SIGN_IN_CSP).toMatch(/form-action 'self'/);
    expect(SIGN_IN_CSP).toMatch(/frame-ancestors 'none'/);
    expect(SIGN_IN_CSP).not.toMatch(/unsafe/);
  });
});

describe('the sign-in page in Chromium', () => {
  const ADMIN_TOKEN = 'gha_browser-test-token-0123456789abcdefghijklmnop';
  let browser: Browser;
  let server: Server;
  let otherPort: Server;
  let url: string;
  let otherUrl: string;
  let whoamiCalls = 0;
  let auth: ReturnType<typeof createAdminAuth>;

  beforeAll(async () => {
    browser = await launchChromium();
    let port = 0;
    auth = createAdminAuth({ adminToken: ADMIN_TOKEN, port: () => port, dataDir: '/srv/gatehouse' });
    const app = express();
    app.use(
      securityHeaders,
      sameOriginOnly(() => port),
    );
    app.use(auth.routes);
    app.use('/api/admin', auth.requireAdmin);
    app.get('/api/admin/whoami', (_req, res) => {
      whoamiCalls++;
      res.json({ admin: true });
    });
    app.get('/', (_req, res) => res.type('html').send('<title>Gatehouse app</title><h1>Hosts</h1>'));
    server = await listen(app, { host: '127.0.0.1', port: 0 });
    port = portOf(server);
    url = `http://127.0.0.1:${port}`;
    // Another program's page on another port of the same host: same site, other origin.
    const other = express();
    other.get('/', (_req, res) => res.type('html').send('<title>other</title>'));
    otherPort = await listen(other, { host: '127.0.0.1', port: 0 });
    otherUrl = `http://127.0.0.1:${portOf(otherPort)}`;
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await Promise.all([server && close(server), otherPort && close(otherPort)]);
  });

  it('takes a pasted admin token and opens the app, with no policy violation on the way', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy|Refused/i.test(m.text())) problems.push(m.text());
    });
    page.on('response', (r) => {
      if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) problems.push(`${r.status()} ${r.url()}`);
    });
    await page.goto(url + '/');
    expect(await page.locator('h1').textContent()).toBe('Sign in to Gatehouse');
    expect(await page.locator('main').evaluate((el) => getComputedStyle(el).maxWidth)).not.toBe('none');
    await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(url + '/');
    expect(await page.title()).toBe('Gatehouse app');
    const [cookie] = await context.cookies(url);
    expect(cookie).toMatchObject({ name: auth.cookieName(), httpOnly: true, sameSite: 'Strict' });
    expect(problems).toEqual([]);
    await context.close();
  });

  it('shows the reason beside the form when the token is wrong', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(url + '/');
    await page.getByLabel('Admin token').fill('not-the-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/not this Gatehouse's admin token/);
    expect(await context.cookies(url)).toEqual([]);
    await context.close();
  });

  it('signs in through a login URL once; the same URL later shows why it no longer works', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const loginUrl = auth.loginUrl(url);
    await page.goto(loginUrl);
    expect(await page.title()).toBe('Gatehouse app');
    const again = await browser.newContext();
    const second = await again.newPage();
    const res = await second.goto(loginUrl);
    expect(res?.status()).toBe(401);
    expect(await second.getByRole('alert').textContent()).toMatch(/already used/);
    await Promise.all([context.close(), again.close()]);
  });

  it("lets the app's own script call the API, also a POST under its no-referrer policy", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(auth.loginUrl(url));
    const statuses = await page.evaluate(async () => [
      (await fetch('/api/admin/whoami')).status,
      (await fetch('/api/admin/logout', { method: 'POST' })).status,
      (await fetch('/api/admin/whoami')).status,
    ]);
    expect(statuses).toEqual([200, 204, 401]);
    await context.close();
  });

  it("never lets a page on another port of this host reach the API with the admin's cookie", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(auth.loginUrl(url));
    await page.goto(otherUrl);
    const before = whoamiCalls;
    await page.evaluate(async (target) => {
      await fetch(`${target}/api/admin/whoami`, { mode: 'no-cors', credentials: 'include' });
      await fetch(`${target}/api/admin/logout`, { method: 'POST', mode: 'no-cors', credentials: 'include' });
    }, url);
    expect(whoamiCalls).toBe(before);
    // The session survived the forged logout.
    await page.goto(url + '/');
    expect(await page.title()).toBe('Gatehouse app');
    await context.close();
  });
});
