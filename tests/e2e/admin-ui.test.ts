import jsQR from 'jsqr';
import type { Browser, Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureRendererBuilt, launchChromium, signedInPage } from '../helpers/browser';
import { startTestServer, type TestServer } from '../helpers/gatehouse';
import { apiToken, beat, registerMany, type Enrolled } from './admin-seed';

let server: TestServer;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  await ensureRendererBuilt();
  server = await startTestServer();
  browser = await launchChromium();
  page = await signedInPage(browser, server, { useLoginUrl: true });
  page.setDefaultTimeout(8000);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.dispose();
});

/** A registration over the LAN listener, as join.sh sends it. */
async function register(token: string, hostname: string) {
  const res = await server.lan('/api/hosts/register', {
    json: { token, hostname, machine_id: `machine-${hostname}`, os: 'Debian 12', arch: 'x86_64' },
  });
  expect(res.status).toBe(201);
  return (await res.json()) as { host_id: string; host_token: string; verification_code: string };
}

async function hostsWith(query: string) {
  const res = await server.admin(`/api/admin/hosts?${query}`);
  return (await res.json()) as { hosts: { id: string; hostname: string; status: string }[]; total_count: number };
}

/** An element's screenshot decoded as a QR code. */
async function decodeQr(selector: string): Promise<string | undefined> {
  const png = PNG.sync.read(await page.locator(selector).screenshot());
  return jsQR(new Uint8ClampedArray(png.data), png.width, png.height)?.data;
}

const queueHeading = () => page.getByRole('heading', { name: /^Approval queue/ });
const waitQueueEmpty = () =>
  page
    .getByText('No host is waiting')
    .waitFor()
    .catch(async (e) => {
      await page.screenshot({ path: '/tmp/ui/fail.png' });
      throw e;
    });

describe('the admin’s working day in Chromium', () => {
  it('creates an auto-approve token, and "Create another" starts again at manual approval and one use', async () => {
    await page.getByRole('button', { name: 'Add Host' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add Host' });
    expect(await dialog.getByLabel('Description').evaluate((el) => el === document.activeElement)).toBe(true);
    await dialog.getByLabel('Description').fill('Lab spares');
    await dialog.getByLabel('Max uses').selectOption({ label: '25' });
    await dialog.getByLabel('Labels').fill('pool=spare');
    await dialog.getByLabel('Allowed networks').fill('10.20.0.0/16');
    await dialog.getByLabel(/Auto-approve/).check();
    await dialog.getByRole('button', { name: 'Create token' }).click();
    const summary = dialog.getByRole('region', { name: /Token .* created/ });
    await expect.poll(() => summary.textContent()).toContain('Auto-approve: hosts that register with it are approved');
    expect(await summary.textContent()).toContain('25 uses');
    expect(await summary.textContent()).toContain('Only from 10.20.0.0/16');
    expect(await summary.textContent()).toContain('Labels: pool=spare');
    // Focus stayed in the dialog when the form gave way to its result.
    expect(await dialog.evaluate((el) => el.contains(document.activeElement))).toBe(true);

    await dialog.getByRole('button', { name: 'Create another' }).click();
    expect(await dialog.getByLabel(/Auto-approve/).isChecked()).toBe(false);
    expect(await dialog.getByLabel('Max uses').inputValue()).toBe('1');
    expect(await dialog.getByLabel('Allowed networks').inputValue()).toBe('');
    expect(await dialog.getByLabel('Labels').inputValue()).toBe('');
    await dialog.getByLabel('Description').fill('Rack C7');
    await dialog.getByRole('button', { name: 'Create token' }).click();
    await expect.poll(() => summary.textContent()).toContain('Manual approval');
    expect(await summary.textContent()).toContain('1 use');

    const { tokens } = (await (await server.admin('/api/admin/registration-tokens')).json()) as {
      tokens: { description: string; auto_approve: boolean; max_uses: number; allowed_cidrs: string[] }[];
    };
    expect(tokens.find((t) => t.description === 'Lab spares')).toMatchObject({
      auto_approve: true,
      max_uses: 25,
      allowed_cidrs: ['10.20.0.0/16'],
    });
    expect(tokens.find((t) => t.description === 'Rack C7')).toMatchObject({
      auto_approve: false,
      max_uses: 1,
      allowed_cidrs: [],
    });
  });

  it('shows a QR code that decodes to the join command itself, and states the risk of the link instead', async () => {
    const dialog = page.getByRole('dialog', { name: 'Add Host' });
    const command = (await dialog.getByTestId('join-command').textContent())!;
    const token = (await dialog.getByTestId('token-text').getAttribute('data-token'))!;
    expect(command).toContain(`| GATEHOUSE_TOKEN='${token}' sh`);
    expect(await decodeQr('[data-testid=token-qr]')).toBe(command);
    await dialog.getByLabel('A link to the phone join page').check();
    await expect.poll(() => dialog.getByRole('note').textContent()).toContain('look-alike page');
    await expect.poll(() => decodeQr('[data-testid=token-qr]')).toBe(`${server.endpoint.lan_url}/join#token=${token}`);
  });

  it('lists existing tokens with auto-approve as a warning, networks, creator, and how many hosts used them', async () => {
    const dialog = page.getByRole('dialog', { name: 'Add Host' });
    await dialog.getByRole('tab', { name: 'Existing tokens' }).click();
    const spares = dialog.getByRole('listitem').filter({ hasText: 'Lab spares' });
    await expect.poll(() => spares.textContent()).toContain('Auto-approve');
    expect(await spares.textContent()).toContain('only from 10.20.0.0/16');
    expect(await spares.textContent()).toMatch(/Created by \S+/);
  });

  it('Escape in a confirmation inside Add Host closes only the confirmation, then the modal, and focus returns', async () => {
    const dialog = page.getByRole('dialog', { name: 'Add Host' });
    const item = dialog.getByRole('listitem').filter({ hasText: 'Rack C7' });
    await item.getByRole('button', { name: 'Revoke' }).click();
    const confirm = page.getByRole('dialog', { name: /Revoke/ });
    await confirm.waitFor();
    // The safe choice has focus first.
    expect(await confirm.getByRole('button', { name: 'Cancel' }).evaluate((el) => el === document.activeElement)).toBe(
      true,
    );
    await page.keyboard.press('Escape');
    await expect.poll(() => confirm.count()).toBe(0);
    expect(await dialog.isVisible()).toBe(true);
    expect(await item.getByRole('button', { name: 'Revoke' }).evaluate((el) => el === document.activeElement)).toBe(
      true,
    );
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByRole('dialog').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Add Host' }).evaluate((el) => el === document.activeElement)).toBe(
      true,
    );
  });

  it('shows a host that registers in the queue without reload, with its verification code', async () => {
    const token = await apiToken(server, { expires_in_hours: 1, max_uses: 5 });
    const host = await register(token.token, 'live-01');
    const request = page.getByRole('listitem', { name: 'Request from live-01' });
    await request.waitFor({ timeout: 5000 });
    await expect.poll(() => page.getByText('1 new', { exact: true }).count()).toBe(1);
    expect(await request.getByTestId('verification-code').textContent()).toContain(
      `Verification code ${host.verification_code.split('').join(' ')}`,
    );
    await request.getByRole('button', { name: 'Approve live-01' }).click();
    await waitQueueEmpty();
    const row = page.locator('[role=row]', { hasText: 'live-01' });
    await expect.poll(() => row.textContent()).toContain('Approved');
    expect(
      (
        await server.lan('/api/hosts/heartbeat', {
          method: 'POST',
          headers: { Authorization: `Bearer ${host.host_token}` },
        })
      ).status,
    ).toBe(204);
    await expect.poll(() => row.textContent(), { timeout: 10_000 }).toContain('Online');
  });

  it('approves ten hosts in a row from the keyboard alone', async () => {
    const token = await apiToken(server, { expires_in_hours: 1, max_uses: 0 });
    const names = Array.from({ length: 10 }, (_, i) => `kbd-${String(i).padStart(2, '0')}`);
    for (const name of names) await register(token.token, name);
    await expect.poll(() => queueHeading().textContent(), { timeout: 5000 }).toMatch(/^Approval queue\s*10/);
    // From the top of the page: Tab until the first Approve button has focus.
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    const focusedName = () =>
      page.evaluate(() => (document.activeElement?.textContent ?? '').replace(/\s+/g, ' ').trim());
    for (let i = 0; i < 60 && (await focusedName()) !== `Approve ${names[0]}`; i++) await page.keyboard.press('Tab');
    for (const name of names) {
      await expect.poll(focusedName).toBe(`Approve ${name}`);
      await page.keyboard.press('Enter');
    }
    await waitQueueEmpty();
    const approved = await hostsWith('status=APPROVED&q=kbd');
    expect(approved.total_count).toBe(10);
  });

  it('asks before approving 50 selected hosts, saying their codes were not compared', async () => {
    const token = await apiToken(server, { expires_in_hours: 1, max_uses: 0 });
    await registerMany(server, token.token, 'bulk', 50);
    await expect.poll(() => queueHeading().textContent(), { timeout: 5000 }).toMatch(/^Approval queue\s*50/);
    const queue = page.getByRole('region', { name: /Approval queue/ });
    await queue.getByLabel('Select all 50 waiting').check();
    await queue.getByRole('button', { name: 'Approve selected (50)' }).click();
    const confirm = page.getByRole('dialog', { name: 'Approve 50 hosts?' });
    expect(await confirm.textContent()).toContain('verification codes were not compared');
    expect(await confirm.getByRole('button', { name: 'Cancel' }).evaluate((el) => el === document.activeElement)).toBe(
      true,
    );
    await confirm.getByRole('button', { name: 'Approve 50 hosts' }).click();
    await waitQueueEmpty();
    expect((await hostsWith('status=APPROVED&q=bulk')).total_count).toBe(50);
  });

  it('shows the 20 hosts whose heartbeats stopped under the Offline filter and in the counts', async () => {
    expect((await server.admin('/api/admin/settings', { json: { offline_threshold_seconds: 10 } })).status).toBe(200);
    const token = await apiToken(server, { expires_in_hours: 1, max_uses: 0, auto_approve: true });
    const fleet: Enrolled[] = await registerMany(server, token.token, 'beat', 30);
    await beat(server, fleet);
    const [silent, alive] = [fleet.slice(0, 20), fleet.slice(20)];
    // Ten keep beating; twenty fall silent past the 10 s threshold (and every host that beat earlier in this file too).
    const started = Date.now();
    while (Date.now() - started < 12_000) {
      await new Promise((r) => setTimeout(r, 2000));
      await beat(server, alive);
    }
    const offlineChip = page.getByRole('button', { name: /^Offline \d+/ });
    const offlineNow = async () => {
      const res = await hostsWith('status=APPROVED&connectivity=OFFLINE&q=beat');
      return res.total_count;
    };
    expect(await offlineNow()).toBe(20);
    const expected = (await hostsWith('status=APPROVED&connectivity=OFFLINE')).total_count;
    await expect.poll(() => offlineChip.textContent(), { timeout: 10_000 }).toBe(`Offline ${expected}`);
    const nav = page.getByRole('navigation', { name: 'Main' });
    expect(await nav.textContent()).toContain(`${expected} offline`);
    await offlineChip.click();
    await page
      .getByRole('table', { name: 'Hosts' })
      .getByLabel('Search')
      .fill('beat')
      .catch(() => undefined);
    await page.getByLabel('Search', { exact: true }).fill('beat');
    const hostsHeading = page.getByRole('heading', { name: /^Hosts \d+/ });
    await expect.poll(() => hostsHeading.textContent()).toBe('Hosts 20');
    for (const h of silent.slice(0, 5)) {
      await expect.poll(() => page.locator('[role=row]', { hasText: h.hostname }).textContent()).toContain('Offline');
    }
    expect(await page.locator('[role=row]', { hasText: alive[0]!.hostname }).count()).toBe(0);
  });

  it('opens a host’s details with its hardware and audit history', async () => {
    await page.getByRole('table', { name: 'Hosts' }).getByRole('button', { name: 'beat-0000', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'beat-0000' });
    await expect.poll(() => dialog.textContent()).toContain('Intel(R) Xeon(R) Gold 6338');
    await expect.poll(() => dialog.textContent()).toContain('host.');
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByRole('dialog').count()).toBe(0);
  });

  it('makes an ephemeral token only when asked: off by default, then "delete after N minutes offline"', async () => {
    await page.getByRole('button', { name: 'Add Host' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add Host' });
    expect(await dialog.getByLabel(/Ephemeral/).isChecked()).toBe(false);
    expect(await dialog.getByLabel('Delete after this many minutes offline').count()).toBe(0);
    await dialog.getByLabel('Description').fill('CI runners');
    await dialog.getByLabel(/Ephemeral/).check();
    await dialog.getByLabel('Delete after this many minutes offline').fill('0');
    expect(await dialog.getByRole('button', { name: 'Create token' }).isDisabled()).toBe(true);
    await dialog.getByLabel('Delete after this many minutes offline').fill('30');
    await dialog.getByRole('button', { name: 'Create token' }).click();
    const summary = dialog.getByRole('region', { name: /Token .* created/ });
    await expect.poll(() => summary.textContent()).toContain('its hosts are deleted after 30 minutes offline');
    const created = (await (await server.admin('/api/admin/audit?action=token.created&limit=1')).json()) as {
      entries: { detail: Record<string, unknown> }[];
    };
    expect(created.entries[0]!.detail).toMatchObject({ description: 'CI runners', ephemeral_offline_minutes: 30 });
    await dialog.getByRole('button', { name: 'Create another' }).click();
    expect(await dialog.getByLabel(/Ephemeral/).isChecked()).toBe(false);
    await page.keyboard.press('Escape');
  });

  it('turns "disable hosts silent for N days" on and off in Settings', async () => {
    const setting = async () =>
      ((await (await server.admin('/api/admin/settings')).json()) as { disable_offline_after_days: number | null })
        .disable_offline_after_days;
    expect(await setting()).toBeNull();
    await page.getByRole('button', { name: 'Settings' }).click();
    const box = page.getByLabel(/Disable approved hosts that stay offline/);
    expect(await box.isChecked()).toBe(false);
    await box.check();
    await page.getByLabel('Disable after this many days offline').fill('45');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await expect.poll(setting).toBe(45);
    await page.getByLabel(/Disable approved hosts that stay offline/).uncheck();
    await page.getByRole('button', { name: 'Save settings' }).click();
    await expect.poll(setting).toBeNull();
    await page.getByRole('button', { name: /^Hosts/ }).click();
  });

  it('sends a browser whose session ended to the sign-in page instead of showing errors', async () => {
    const other = await signedInPage(browser, server);
    await other.getByRole('button', { name: 'Sign out' }).click();
    await other.getByRole('heading', { name: 'Sign in to Gatehouse' }).waitFor();
    const stale = await signedInPage(browser, server);
    await stale.context().clearCookies();
    await stale.getByRole('button', { name: 'Audit' }).click();
    await stale.getByRole('heading', { name: 'Sign in to Gatehouse' }).waitFor();
    await other.close();
    await stale.close();
  });

  it('says so when Gatehouse stops answering', async () => {
    await server.stop();
    await page.getByRole('alert').filter({ hasText: 'Lost contact with Gatehouse' }).waitFor({ timeout: 15_000 });
  });
});
