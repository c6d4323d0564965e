import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser';
import { startTestServer, type TestServer } from '../helpers/gatehouse';

let server: TestServer;
let browser: Browser;
beforeAll(async () => {
  server = await startTestServer();
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await server?.dispose();
});

describe('the phone join page', () => {
  it('shows the token from the URL fragment in grouped characters, with the pinned join command', async () => {
    const created = (await (
      await server.admin('/api/admin/registration-tokens', { json: { expires_in_hours: 1, max_uses: 1 } })
    ).json()) as {
      token: string;
    };
    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true });
    const requested: string[] = [];
    page.on('request', (r) => requested.push(r.url()));
    await page.goto(`${server.endpoint.lan_url}/join#token=${created.token}&pin=${encodeURIComponent('AbC+/=')}`);
    const groups = await page.locator('#token span').allTextContents();
    expect(groups.join('-')).toBe(created.token);
    const command = await page.locator('#command').textContent();
    expect(command).toBe(
      `curl -fsSk --pinnedpubkey 'sha256//AbC+/=' '${server.endpoint.lan_url}/join.sh' | sh -s -- '${created.token}'`,
    );
    expect(await page.getByRole('button', { name: 'Copy command' }).isVisible()).toBe(true);
    // The token never went to a server, and it is gone from the address bar once shown.
    expect(requested.some((url) => url.includes(created.token))).toBe(false);
    expect(page.url()).toBe(`${server.endpoint.lan_url}/join`);
    await page.close();
  });

  it('says what to do when the link carries no token', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.endpoint.lan_url}/join`);
    expect(await page.locator('#missing').isVisible()).toBe(true);
    expect(await page.locator('#missing').textContent()).toContain('Scan the QR code');
    await page.close();
  });
});
