import jsQR from 'jsqr';
import type { Browser, Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser';
import { removeDir, startServeProcess, type ServeProcess } from '../helpers/serve-process';

let serve: ServeProcess;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  serve = await startServeProcess(['--http']);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(serve.endpoint.login_url);
  await page.getByRole('heading', { name: /Approval queue/ }).waitFor();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await serve?.stop();
  removeDir(serve.dir);
});

async function register(token: string, hostname: string) {
  const res = await fetch(`${serve.endpoint.lan_url}/api/hosts/register`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ token, hostname, machine_id: `machine-${hostname}`, os: 'Debian 12', arch: 'x86_64' }),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as { host_id: string; host_token: string; verification_code: string };
}

async function apiToken(json: Record<string, unknown>) {
  const res = await serve.admin('/api/admin/registration-tokens', { json });
  return (await res.json()) as { id: string; token: string };
}

/** Screenshot of an element decoded as a QR code. */
async function decodeQr(selector: string): Promise<string | undefined> {
  const png = PNG.sync.read(await page.locator(selector).screenshot());
  return jsQR(new Uint8ClampedArray(png.data), png.width, png.height)?.data;
}

describe('the admin UI against npm run serve', () => {
  it('creates a token through the Add Host modal with the chosen expiry and max uses, and its QR decodes to join_url', async () => {
    await page.getByRole('button', { name: 'Add Host' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add Host' });
    await dialog.getByLabel('Description').fill('Rack C7');
    await dialog.getByLabel('Expires after').selectOption({ label: '24 hours' });
    await dialog.getByLabel('Max uses').selectOption({ label: '10' });
    await dialog.getByLabel('Labels').fill('rack=c7 role=worker');
    await dialog.getByRole('button', { name: 'Create token' }).click();
    const tokenText = (await dialog.getByTestId('token-text').getAttribute('aria-label'))!.replace(/^Token /, '');
    expect(tokenText).toMatch(/^GATE(-[0-9A-Z]{4}){7}$/);
    await expect.poll(() => dialog.getByText(/Expires in (1d 0h|23h 59m)/).count()).toBe(1);

    const qr = await decodeQr('[data-testid=token-qr]');
    expect(qr).toBe(`${serve.endpoint.lan_url}/join#token=${tokenText}`);
    const command = await dialog.getByTestId('join-command').textContent();
    expect(command).toContain(`| sh -s -- '${tokenText}'`);

    const { tokens } = (await (await serve.admin('/api/admin/registration-tokens')).json()) as {
      tokens: { description: string; max_uses: number; expires_at: string; labels: string[] }[];
    };
    const saved = tokens.find((t) => t.description === 'Rack C7')!;
    expect(saved).toMatchObject({ max_uses: 10, labels: ['rack=c7', 'role=worker'] });
    expect(Date.parse(saved.expires_at) - Date.now()).toBeGreaterThan(23.9 * 3_600_000);
  });

  it('keeps focus inside the modal and closes it with Esc', async () => {
    const dialog = page.getByRole('dialog', { name: 'Add Host' });
    for (let i = 0; i < 15; i++) {
      await page.keyboard.press('Tab');
      expect(await dialog.evaluate((el) => el.contains(document.activeElement))).toBe(true);
    }
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByRole('dialog').count()).toBe(0);
  });

  it('shows a host that registers in the queue without reload, approves it, and shows it ONLINE after a heartbeat', async () => {
    const token = await apiToken({ expires_in_hours: 1, max_uses: 5 });
    const host = await register(token.token, 'live-01');
    const request = page.getByRole('listitem', { name: 'Request from live-01' });
    await request.waitFor({ timeout: 2000 });
    await expect.poll(() => page.getByText('1 new').count()).toBe(1);
    const code = host.verification_code;
    expect(await request.getByLabel(/Verification code/).getAttribute('aria-label')).toBe(
      `Verification code ${code.split('').join(' ')}`,
    );
    await request.getByRole('button', { name: 'Approve live-01' }).click();
    await expect.poll(() => request.count()).toBe(0);
    const row = page.locator('[role=row]', { hasText: 'live-01' });
    await expect.poll(() => row.textContent()).toContain('Approved');
    const beat = await fetch(`${serve.endpoint.lan_url}/api/hosts/heartbeat`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${host.host_token}` },
    });
    expect(beat.status).toBe(204);
    await expect.poll(() => row.textContent()).toContain('Online');
  });

  it('revokes a token and shows its state change', async () => {
    await apiToken({ expires_in_hours: 2, max_uses: 3, description: 'to revoke' });
    await page.getByRole('button', { name: 'Add Host' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add Host' });
    await dialog.getByRole('tab', { name: 'Existing tokens' }).click();
    const item = dialog.getByRole('listitem').filter({ hasText: 'to revoke' });
    await expect.poll(() => item.textContent()).toContain('Active');
    await item.getByRole('button', { name: 'Revoke' }).click();
    await page
      .getByRole('dialog', { name: /Revoke/ })
      .getByRole('button', { name: 'Revoke token' })
      .click();
    await expect.poll(() => item.textContent()).toContain('Revoked');
  });

  it('flips a token to Expired the moment it expires, without reload', async () => {
    const dialog = page.getByRole('dialog', { name: 'Add Host' });
    await apiToken({ expires_at: new Date(Date.now() + 3000).toISOString(), max_uses: 1, description: 'short-lived' });
    const item = dialog.getByRole('listitem').filter({ hasText: 'short-lived' });
    await expect.poll(() => item.textContent()).toContain('Active');
    await expect.poll(() => item.textContent(), { timeout: 6000 }).toContain('Expired');
    await page.keyboard.press('Escape');
  });

  it('bulk-approves 50 hosts', async () => {
    const token = await apiToken({ expires_in_hours: 1, max_uses: 0 });
    for (let i = 0; i < 50; i++) await register(token.token, `bulk-${String(i).padStart(2, '0')}`);
    const heading = page.getByRole('heading', { name: /Approval queue/ });
    await expect.poll(() => heading.textContent(), { timeout: 5000 }).toMatch(/^Approval queue\s*50/);
    await page.getByLabel('Select all').check();
    await page.getByRole('button', { name: 'Approve selected (50)' }).click();
    await page.getByText('No host is waiting').waitFor();
    const { hosts } = (await (await serve.admin('/api/admin/hosts?status=APPROVED')).json()) as {
      hosts: { hostname: string }[];
    };
    expect(hosts.filter((h) => h.hostname.startsWith('bulk-'))).toHaveLength(50);
  });

  it('says so when Gatehouse stops answering', async () => {
    expect(await serve.stop()).toBe(0);
    await page.getByRole('alert').filter({ hasText: 'Lost contact with Gatehouse' }).waitFor({ timeout: 10_000 });
  });
});
