import type { Browser, Page } from 'playwright-core';
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

const PIN = 'X2JgTYFJutJ4xgNMos5SUEAFY1iu4Luzmttl2rY9RTI=';

async function createToken(): Promise<string> {
  const res = await server.admin('/api/admin/registration-tokens', { json: { expires_in_hours: 1, max_uses: 1 } });
  return ((await res.json()) as { token: string }).token;
}

/** The join page on a phone-sized screen, opened from a link carrying TOKEN and PIN. */
async function openOnPhone(token: string, requested: string[] = []): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 360, height: 740 }, isMobile: true });
  page.on('request', (r) => requested.push(r.url()));
  await page.goto(`${server.endpoint.lan_url}/join#token=${token}&pin=${encodeURIComponent(PIN)}`);
  return page;
}

describe('the phone join page', () => {
  it('says it is for enrolling a machine, not the phone', async () => {
    const page = await openOnPhone(await createToken());
    expect(await page.locator('h1').textContent()).toBe('Enrol a machine with Gatehouse');
    expect(await page.title()).toBe('Enrol a machine with Gatehouse');
    expect(await page.locator('main').textContent()).toContain('this phone itself is not enrolled');
    await page.close();
  });

  it('shows the token from the URL fragment in groups, never sending it to a server', async () => {
    const token = await createToken();
    const requested: string[] = [];
    const page = await openOnPhone(token, requested);
    const groups = await page.locator('#token span').allTextContents();
    expect(groups.join('-')).toBe(token);
    expect(requested.some((url) => url.includes(token))).toBe(false);
    // Gone from the address bar and history once shown.
    expect(page.url()).toBe(`${server.endpoint.lan_url}/join`);
    await page.close();
  });

  it('shows the pinned join command that hands the token to sh in its environment', async () => {
    const token = await createToken();
    const page = await openOnPhone(token);
    expect(await page.locator('#command').textContent()).toBe(
      `curl -fsS --pinnedpubkey 'sha256//${PIN}' -k '${server.endpoint.lan_url}/join.sh' | GATEHOUSE_TOKEN='${token}' sh`,
    );
    expect(await page.getByRole('button', { name: 'Copy command' }).isVisible()).toBe(true);
    await page.close();
  });

  it('wraps the command on a phone screen only between groups, never inside one', async () => {
    const token = await createToken();
    const page = await openOnPhone(token);
    const layout = await page.locator('#command').evaluate((pre) => ({
      overflows: pre.scrollWidth > pre.clientWidth,
      lines: new Set([...pre.querySelectorAll('.group')].map((g) => g.getBoundingClientRect().top)).size,
      split: [...pre.querySelectorAll('.group')].filter((g) => g.getClientRects().length > 1).length,
      groups: [...pre.querySelectorAll('.group')].map((g) => g.textContent),
    }));
    expect(layout.overflows).toBe(false);
    expect(layout.lines).toBeGreaterThan(2); // it does wrap on this width
    expect(layout.split).toBe(0);
    for (const group of token.split('-').slice(1, -1)) expect(layout.groups).toContain(`${group}-`);
    await page.close();
  });

  it('shows the key pin in groups of four and says the command carries it', async () => {
    const page = await openOnPhone(await createToken());
    expect(await page.locator('#pin').textContent()).toBe(PIN.match(/.{1,4}/g)!.join(' '));
    expect(await page.locator('#pin-box').textContent()).toContain('The join command carries this pin');
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
