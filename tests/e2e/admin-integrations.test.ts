import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureRendererBuilt, launchChromium, signedInPage } from '../helpers/browser';
import { registration, startTestServer, type TestServer } from '../helpers/gatehouse';

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** What the local receiver was sent: headers and the raw body, as a chat service would see them. */
interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

let server: TestServer;
let browser: Browser;
let page: Page;
let receiver: Server;
let receiverUrl: string;
const received: Received[] = [];
/** The webhook's signing secret, read off the screen the one time it is shown. */
let webhookSecret = '';

beforeAll(async () => {
  await ensureRendererBuilt();
  server = await startTestServer();
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/gatehouse`;
  browser = await launchChromium();
  page = await signedInPage(browser, server, { useLoginUrl: true });
  page.setDefaultTimeout(8000);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.dispose();
  receiver?.closeAllConnections();
  await new Promise((resolve) => receiver?.close(resolve));
});

/** A Bearer call to the admin listener with a named credential, as a script would make it. */
function withCredential(credential: string, path: string, method = 'GET') {
  return fetch(server.endpoint.admin_url + path, {
    method,
    headers: { Authorization: `Bearer ${credential}`, 'Content-Type': 'application/json' },
    ...(method === 'POST' ? { body: '{}' } : {}),
  });
}

/** A fresh PENDING host over the LAN listener. */
async function pendingHost(): Promise<string> {
  const made = await server.admin('/api/admin/registration-tokens', { json: { expires_in_hours: 1, max_uses: 1 } });
  const { token } = (await made.json()) as { token: string };
  const res = await server.lan('/api/hosts/register', { json: registration(token) });
  expect(res.status).toBe(201);
  return ((await res.json()) as { host_id: string }).host_id;
}

/** Checks the Gatehouse-Signature header the way a receiver must: HMAC-SHA256(secret, "t.body"). */
function signedBy(secret: string, r: Received): boolean {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(r.headers['gatehouse-signature'] ?? ''));
  if (!match) return false;
  const expected = createHmac('sha256', secret).update(`${match[1]}.${r.body}`).digest();
  return timingSafeEqual(expected, Buffer.from(match[2]!, 'hex'));
}

async function openSettings(p: Page) {
  await p.getByRole('button', { name: 'Settings' }).click();
  await p.getByRole('heading', { name: 'Admin credentials' }).waitFor();
}

/** Creates a credential through the form; returns its secret as shown (once) and the dialog. */
async function createCredential(p: Page, name: string, scope: string): Promise<{ secret: string; dialog: Locator }> {
  await p.getByRole('button', { name: 'New credential…' }).click();
  const form = p.getByRole('dialog', { name: 'New admin credential' });
  expect(await form.getByLabel('Name').evaluate((el) => el === document.activeElement)).toBe(true);
  await form.getByLabel('Name').fill(name);
  await form.getByRole('radio', { name: new RegExp(`^${scope}:`) }).check();
  await form.getByRole('button', { name: 'Create credential' }).click();
  const dialog = p.getByRole('dialog', { name: `Credential ${name} created` });
  const secret = (await dialog.getByTestId('secret-once').textContent())!.trim();
  return { secret, dialog };
}

describe('integrations in Chromium', () => {
  it('creates an approver credential whose secret is shown once and approves over HTTP; a read-only one is refused', async () => {
    await openSettings(page);
    const approver = await createCredential(page, 'night approver', 'approver');
    expect(await approver.dialog.getByRole('note').textContent()).toContain('it will not be shown again');
    expect(approver.secret.length).toBeGreaterThan(20);
    await approver.dialog.getByRole('button', { name: 'Done' }).click();
    await approver.dialog.waitFor({ state: 'detached' });
    expect(await page.content()).not.toContain(approver.secret);
    const row = page.getByRole('row', { name: /^night approver / });
    expect(await row.textContent()).toContain('approver');
    const lastUsed = row.locator('td').nth(2);
    expect(await lastUsed.textContent()).toBe('never');

    const first = await pendingHost();
    const approved = await withCredential(approver.secret, `/api/admin/hosts/${first}/approve`, 'POST');
    expect(approved.status).toBe(200);
    expect(((await approved.json()) as { status: string }).status).toBe('APPROVED');
    const audit = (await (await server.admin('/api/admin/audit?limit=20')).json()) as {
      entries: { actor: string; action: string; target_id: string }[];
    };
    expect(audit.entries.find((e) => e.target_id === first && e.actor === 'night approver')).toBeTruthy();
    // The approval was audited: the list is fetched again and shows the credential as used.
    await expect.poll(() => lastUsed.textContent()).toMatch(/just now|s ago/);

    const reader = await createCredential(page, 'dashboard', 'read-only');
    await page.keyboard.press('Escape');
    await reader.dialog.waitFor({ state: 'detached' });
    const second = await pendingHost();
    const refused = await withCredential(reader.secret, `/api/admin/hosts/${second}/approve`, 'POST');
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('FORBIDDEN');
    expect((await withCredential(reader.secret, `/api/admin/hosts/${second}`)).status).toBe(200);
  });

  it('revokes a credential after confirming, and the revoked one stops working', async () => {
    const { secret, dialog } = await createCredential(page, 'temp', 'read-only');
    await dialog.getByRole('button', { name: 'Done' }).click();
    expect((await withCredential(secret, '/api/admin/hosts')).status).toBe(200);
    await page.getByRole('button', { name: 'Revoke temp' }).click();
    const confirm = page.getByRole('dialog', { name: 'Revoke temp?' });
    await confirm.getByRole('button', { name: 'Revoke credential' }).click();
    await expect.poll(() => page.getByRole('row', { name: /^temp / }).textContent()).toContain('revoked');
    expect((await withCredential(secret, '/api/admin/hosts')).status).toBe(401);
  });

  it('adds a webhook to a local receiver; Send test arrives signed and the delivery log says delivered', async () => {
    await page.getByRole('button', { name: 'Add webhook…' }).click();
    const form = page.getByRole('dialog', { name: 'Add webhook' });
    await form.getByLabel('URL').fill(receiverUrl);
    expect(await form.getByRole('checkbox', { name: /^All:/ }).isChecked()).toBe(true);
    await form.getByRole('button', { name: 'Add webhook' }).click();
    const added = page.getByRole('dialog', { name: 'Webhook added' });
    webhookSecret = (await added.getByTestId('secret-once').textContent())!.trim();
    expect(await added.textContent()).toContain(
      'Gatehouse-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "t.body")>',
    );
    await added.getByRole('button', { name: 'Done' }).click();
    await added.waitFor({ state: 'detached' });
    expect(await page.content()).not.toContain(webhookSecret);

    await page.getByRole('button', { name: `Send test to ${receiverUrl}` }).click();
    const row = page.getByRole('row', { name: new RegExp(receiverUrl.replace(/[.]/g, '\\.')) });
    await expect.poll(() => row.getByRole('status').textContent()).toMatch(/^Delivered: HTTP 200 in \d+ ms\.$/);
    const test = received.find((r) => (JSON.parse(r.body) as { event: string }).event === 'webhook.test');
    expect(test).toBeTruthy();
    expect(signedBy(webhookSecret, test!)).toBe(true);
    expect(signedBy('not-the-secret', test!)).toBe(false);

    await page.getByRole('button', { name: `Delivery log of ${receiverUrl}` }).click();
    const log = page.getByRole('dialog', { name: 'Delivery log' });
    const entry = log.locator('tr[data-delivery-state]').filter({ hasText: 'webhook.test' }).first();
    expect(await entry.getAttribute('data-delivery-state')).toBe('delivered');
    expect(await entry.textContent()).toContain('HTTP 200');
    await page.keyboard.press('Escape');
    await log.waitFor({ state: 'detached' });
  });

  it('sends a new token to that webhook from the Add Host modal; the receiver gets the join command', async () => {
    await page.getByRole('button', { name: /^Hosts/ }).click();
    await page.getByRole('button', { name: 'Add Host' }).click();
    const addHost = page.getByRole('dialog', { name: 'Add Host' });
    await addHost.getByRole('button', { name: 'Create token' }).click();
    const command = (await addHost.getByTestId('join-command').textContent())!.trim();
    await addHost.getByRole('button', { name: 'Send to technician…' }).click();
    const send = page.getByRole('dialog', { name: 'Send to technician' });
    await send.getByRole('radio', { name: 'Chat webhook' }).check();
    expect(await send.getByLabel('Webhook', { exact: true }).inputValue()).toMatch(/^[0-9a-f-]{36}$/);
    await send.getByRole('button', { name: 'Send' }).click();
    await expect.poll(() => send.getByRole('status').textContent()).toBe(`Delivered to ${receiverUrl}.`);
    const post = received.find((r) => r.body.includes('token.join_instructions'));
    expect(post).toBeTruthy();
    expect(signedBy(webhookSecret, post!)).toBe(true);
    expect((JSON.parse(post!.body) as { data: { join_command: string } }).data.join_command).toBe(command);

    // Escape closes the send dialog only; the created token stays on screen beneath it.
    await page.keyboard.press('Escape');
    await send.waitFor({ state: 'detached' });
    expect(await addHost.getByTestId('join-command').isVisible()).toBe(true);
    expect(await addHost.evaluate((el) => el.contains(document.activeElement))).toBe(true);
    await page.keyboard.press('Escape');
    await addHost.waitFor({ state: 'detached' });
  });

  it('saves the SMTP settings; the password is never filled back in, only said to be saved', async () => {
    await openSettings(page);
    const form = page.getByRole('form', { name: 'Email (SMTP) settings' });
    await form.getByLabel('Mail server').fill('127.0.0.1');
    await form.getByLabel('Security').selectOption('none');
    await form.getByLabel('Port', { exact: true }).fill('2525');
    await form.getByLabel('Password', { exact: true }).fill('smtp-sekrit');
    await form.getByLabel('From address').fill('gatehouse@example.net');
    await form.getByRole('button', { name: 'Save mail settings' }).click();
    await expect.poll(() => form.getByTestId('mail-password-state').textContent()).toContain('A password is saved');
    expect(await form.getByLabel('Password', { exact: true }).inputValue()).toBe('');
    expect(await page.content()).not.toContain('smtp-sekrit');
    const saved = (await (await server.admin('/api/admin/mail-settings')).json()) as Record<string, unknown>;
    expect(saved).toMatchObject({ host: '127.0.0.1', port: 2525, security: 'none', password_set: true });
    expect(JSON.stringify(saved)).not.toContain('smtp-sekrit');
  });
});

/** axe-core over the given parts of the page (evaluated over CDP, so the page's CSP does not apply). */
async function violations(p: Page, screen: string, include: string[]): Promise<string[]> {
  await p.waitForTimeout(150);
  await p.evaluate(axeSource);
  const result = await p.evaluate(
    (context) =>
      (window as unknown as { axe: { run(c: unknown, o: unknown): Promise<{ violations: unknown[] }> } }).axe.run(
        { include: context.map((s) => [s]) },
        { resultTypes: ['violations'] },
      ),
    include,
  );
  return (result.violations as { id: string; impact: string; help: string; nodes: { target: string[] }[] }[]).map(
    (v) =>
      `${screen}: ${v.id} (${v.impact}) ${v.help} at ${v.nodes
        .map((n) => n.target.join(' '))
        .slice(0, 3)
        .join(', ')}`,
  );
}

const PANELS = [
  'section[aria-labelledby="credentials-title"]',
  'section[aria-labelledby="webhooks-title"]',
  'section[aria-labelledby="mail-title"]',
];

describe.each(['light', 'dark'] as const)('axe-core over the integration panels (%s)', (colorScheme) => {
  it('finds no violations in the panels, their forms, the secrets shown once, the log and the send dialog', async () => {
    const p = await signedInPage(browser, server, { useLoginUrl: true, colorScheme });
    p.setDefaultTimeout(8000);
    const found: string[] = [];
    const check = async (screen: string, include = ['[role="dialog"]']) =>
      found.push(...(await violations(p, screen, include)));
    try {
      await openSettings(p);
      await p.getByRole('row', { name: /^night approver / }).waitFor();
      await p.getByRole('button', { name: `Send test to ${receiverUrl}` }).click();
      await p.getByRole('status').filter({ hasText: 'Delivered' }).waitFor();
      await p.getByRole('form', { name: 'Email (SMTP) settings' }).getByLabel('Port', { exact: true }).fill('99999');
      await check('settings panels, with a test result and an invalid port', PANELS);

      await p.getByRole('button', { name: 'New credential…' }).click();
      const form = p.getByRole('dialog', { name: 'New admin credential' });
      await form.getByLabel('Name').fill('bad/name');
      await check('new credential form, invalid name');
      await form.getByLabel('Name').fill(`axe ${colorScheme}`);
      await form.getByRole('button', { name: 'Create credential' }).click();
      await p.getByRole('dialog', { name: `Credential axe ${colorScheme} created` }).waitFor();
      await check('credential secret shown once');
      await p.keyboard.press('Escape');

      await p.getByRole('button', { name: 'Add webhook…' }).click();
      const hook = p.getByRole('dialog', { name: 'Add webhook' });
      await hook.getByRole('checkbox', { name: /^All:/ }).uncheck();
      await hook.getByLabel('Format').selectOption('slack');
      await check('add webhook form, no event picked, Slack preset');
      await p.keyboard.press('Escape');

      await p.getByRole('button', { name: `Delivery log of ${receiverUrl}` }).click();
      await p.getByRole('dialog', { name: 'Delivery log' }).locator('tr[data-delivery-state]').first().waitFor();
      await check('delivery log');
      await p.keyboard.press('Escape');

      await p.getByRole('button', { name: /^Hosts/ }).click();
      await p.getByRole('button', { name: 'Add Host' }).click();
      const addHost = p.getByRole('dialog', { name: 'Add Host' });
      await addHost.getByRole('button', { name: 'Create token' }).click();
      await addHost.getByRole('button', { name: 'Send to technician…' }).click();
      const send = p.getByRole('dialog', { name: 'Send to technician' });
      await send.getByLabel('Email address').fill('not-an-address');
      await check('send dialog, email');
      await send.getByRole('radio', { name: 'Chat webhook' }).check();
      await send.getByRole('button', { name: 'Send' }).click();
      await send.getByRole('status').filter({ hasText: 'Delivered' }).waitFor();
      await check('send dialog, delivered to a webhook');
    } finally {
      await p.close();
    }
    expect(found).toEqual([]);
  });
});
