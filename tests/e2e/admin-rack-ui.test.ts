import { createHash } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApprovalRule, AuditEntry, Host } from '../../src/shared/domain';
import { ensureRendererBuilt, launchChromium, signedInPage } from '../helpers/browser';
import { startTestServer, type TestServer } from '../helpers/gatehouse';

let server: TestServer;
let browser: Browser;
let page: Page;
let token: string;

/** Machine `n` of rack `rack`: the identity its firmware reports and the CSV row that expects it. */
const machine = (rack: string, n: number) => ({
  hostname: `${rack}-node-${String(n).padStart(2, '0')}`,
  serial: `SN-${rack.toUpperCase()}-${String(n).padStart(4, '0')}`,
  position: `${rack.toUpperCase()}-U${n}`,
});

async function json<T>(res: Promise<Response>): Promise<T> {
  const r = await res;
  const text = await r.text();
  if (r.status >= 300) throw new Error(`${r.status}: ${text}`);
  return JSON.parse(text) as T;
}

/** A machine's firmware UUID, fixed by its serial. */
const uuidOf = (serial: string) =>
  createHash('sha256')
    .update(serial)
    .digest('hex')
    .slice(0, 32)
    .replace(/^(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-');

/** A registration over the LAN listener, as join.sh sends it, with the firmware's serial in facts. */
async function register(body: {
  hostname: string;
  serial: string;
  system_uuid?: string;
  machine_id?: string;
  labels?: string[];
}) {
  return json<{ host_id: string; status: string }>(
    server.lan('/api/hosts/register', {
      json: {
        token,
        hostname: body.hostname,
        machine_id: body.machine_id ?? `mid-${body.serial.toLowerCase()}`,
        os: 'Debian 12',
        arch: 'x86_64',
        ...(body.labels ? { labels: body.labels } : {}),
        facts: {
          vendor: 'Dell Inc.',
          model: 'PowerEdge R650',
          serial: body.serial,
          system_uuid: body.system_uuid ?? uuidOf(body.serial),
        },
      },
    }),
  );
}

const host = (id: string) => json<Host>(server.admin(`/api/admin/hosts/${id}`));
const rulesInOrder = async () =>
  (await json<{ rules: ApprovalRule[] }>(server.admin('/api/admin/approval-rules'))).rules
    .sort((a, b) => a.position - b.position)
    .map((r) => r.name);
const nav = (name: string | RegExp) => page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name });

/** Imports a CSV through the dialog and returns the dialog, showing its answer. */
async function importCsv(csv: string, autoApprove: boolean) {
  await nav('Expected hosts').click();
  await page.getByRole('button', { name: 'Import CSV…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Import expected hosts' });
  await dialog.getByRole('textbox', { name: /^CSV/ }).fill(csv);
  if (autoApprove) await dialog.getByLabel(/Auto-approve/).check();
  await dialog.getByRole('button', { name: 'Import', exact: true }).click();
  await dialog.getByRole('heading', { name: /imported/ }).waitFor();
  return dialog;
}

beforeAll(async () => {
  await ensureRendererBuilt();
  server = await startTestServer();
  browser = await launchChromium();
  page = await signedInPage(browser, server, { useLoginUrl: true });
  page.setDefaultTimeout(8000);
  token = (
    await json<{ token: string }>(
      server.admin('/api/admin/registration-tokens', {
        json: { description: 'racks', expires_in_hours: 24, max_uses: 0 },
      }),
    )
  ).token;
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.dispose();
});

describe('rack-scale enrolment in Chromium', () => {
  const rackA = Array.from({ length: 8 }, (_, i) => machine('a', i + 1));

  it('imports a CSV with good and bad rows: each refused line is shown with its reason, the good rows are listed', async () => {
    const csv = [
      'hostname,serial,mac,labels,position',
      ...rackA.slice(0, 3).map((m) => `${m.hostname},${m.serial},,rack=a,${m.position}`),
      'bad-mac,,zz:zz,rack=a,A-U90',
      ...rackA.slice(3).map((m) => `${m.hostname},${m.serial},,rack=a,${m.position}`),
      'no-identity,,,rack=a,A-U91',
    ].join('\n');
    await nav('Expected hosts').click();
    await page.getByRole('button', { name: 'Import CSV…' }).click();
    const form = page.getByRole('dialog', { name: 'Import expected hosts' });
    // Auto-approve is off until asked for, and asking shows what it risks.
    expect(await form.getByLabel(/Auto-approve/).isChecked()).toBe(false);
    await form.getByLabel(/Auto-approve/).check();
    expect(await form.getByRole('note').textContent()).toContain('without a look');
    await form.getByLabel(/Auto-approve/).uncheck();
    await form.getByRole('textbox', { name: /^CSV/ }).fill(csv);
    await form.getByRole('button', { name: 'Import', exact: true }).click();
    await form.getByRole('heading', { name: '8 rows imported, 2 refused' }).waitFor();
    const refused = await form.getByRole('list', { name: 'Refused rows' }).getByRole('listitem').allTextContents();
    expect(refused).toHaveLength(2);
    expect(refused[0]).toMatch(/^Line 5: .*mac 'zz:zz' is not a MAC address/);
    expect(refused[1]).toMatch(/^Line 11: .*give a serial, system_uuid or mac/);
    await form.getByRole('button', { name: 'Done' }).click();

    const table = page.getByRole('table', { name: /Rows of the import/ });
    await table.getByRole('row').nth(8).waitFor();
    const names = await table.locator('tbody tr td.strong').allTextContents();
    expect(names).toEqual(rackA.map((m) => m.hostname));
    expect(await table.getByText('Unclaimed').count()).toBe(8);
  });

  it('"Print enrolment sheet" opens the import’s A4 sheet in a new window, one card per unclaimed row', async () => {
    const [sheet] = await Promise.all([
      page.waitForEvent('popup'),
      page.getByRole('button', { name: 'Print enrolment sheet for this import' }).click(),
    ]);
    await sheet.waitForLoadState();
    const text = await sheet.locator('body').innerText();
    for (const m of rackA) expect(text).toContain(m.hostname);
    expect(await sheet.getByRole('img', { name: /QR code of the join command/ }).count()).toBe(rackA.length);
    await sheet.close();
  });

  it('a matching machine waits in the queue marked expected with its row and position; a stranger is unexpected', async () => {
    const first = await register({ hostname: 'localhost', serial: rackA[0]!.serial });
    expect(first.status).toBe('PENDING');
    await register({ hostname: 'stranger', serial: 'SN-NOT-LISTED' });
    await nav(/^Hosts/).click();
    const card = page.getByRole('listitem', { name: `Request from ${rackA[0]!.hostname}` });
    await card.waitFor();
    expect(await card.textContent()).toContain(`expected (${rackA[0]!.hostname}, ${rackA[0]!.position})`);
    expect(await page.getByRole('listitem', { name: 'Request from stranger' }).textContent()).toContain('unexpected');
  });

  it('an import with auto-approve lets its machine in by itself, and the row shows the host that claimed it', async () => {
    const b1 = machine('b', 1);
    const dialog = await importCsv(`hostname,serial,position\n${b1.hostname},${b1.serial},${b1.position}`, true);
    expect(await dialog.getByRole('heading', { name: /imported/ }).textContent()).toBe('1 row imported');
    await dialog.getByRole('button', { name: 'Done' }).click();
    const answer = await register({ hostname: 'localhost', serial: b1.serial });
    expect(answer.status).toBe('APPROVED');
    expect(await host(answer.host_id)).toMatchObject({ hostname: b1.hostname, status: 'APPROVED' });
    const row = page.locator(`tr[data-row-hostname="${b1.hostname}"]`);
    await expect.poll(() => row.textContent()).toContain(`Claimed by ${b1.hostname}`);
  });

  it('a clone of a claimed row raises the alarm: an app banner linking to it and a plain-words note on its card', async () => {
    const b1 = machine('b', 1);
    // Another machine (its own firmware UUID) reporting the serial of a machine already enrolled.
    const clone = await register({
      hostname: 'evil',
      serial: b1.serial,
      system_uuid: uuidOf('another machine'),
      machine_id: 'clone-of-b1-machine',
    });
    expect(clone.status).toBe('PENDING');
    const banner = page.getByRole('alert').filter({ hasText: 'Possible clone' });
    await banner.waitFor();
    const cloneHost = await host(clone.host_id);
    expect(cloneHost.alarm).toBe('clone');
    expect(await banner.textContent()).toContain(`${cloneHost.hostname}: Possible clone`);
    await banner.getByRole('button', { name: 'Show host' }).click();
    const detail = page.getByRole('dialog', { name: cloneHost.hostname });
    await detail.getByText('Hardware').waitFor();
    expect(await detail.textContent()).toContain('already enrolled');
    expect(await detail.textContent()).toContain(`Yes: row ${b1.hostname} at ${b1.position}`);
    await page.keyboard.press('Escape');
    await nav(/^Hosts/).click();
    const card = page.locator(`li[data-host-id="${clone.host_id}"]`);
    await card.waitFor();
    expect(await card.getByRole('note').textContent()).toContain('Possible clone');
    expect(await card.textContent()).toContain('alarm: possible clone');
    // The newest row of the hosts table carries the flag too.
    const tableRow = page.locator(`[role=row][data-host-id="${clone.host_id}"]`);
    await expect.poll(() => tableRow.textContent()).toContain('possible clone');
    await banner.getByRole('button', { name: /Dismiss/ }).click();
    await banner.waitFor({ state: 'detached' });
  });

  it('"Approve all expected" asks first past five, approves the expected ones and leaves the clone and the stranger', async () => {
    for (const m of rackA.slice(1, 6)) await register({ hostname: 'localhost', serial: m.serial });
    await nav(/^Hosts/).click();
    const queue = page.getByRole('region', { name: /Approval queue/ });
    await expect.poll(() => queue.getByRole('listitem', { name: /^Request from a-node/ }).count()).toBe(6);
    await queue.getByRole('button', { name: 'Approve all expected' }).click();
    const confirm = page.getByRole('dialog', { name: 'Approve 6 expected hosts?' });
    await confirm.getByRole('button', { name: 'Approve 6 hosts' }).click();
    await expect.poll(() => queue.getByRole('listitem', { name: /^Request from a-node/ }).count()).toBe(0);
    const pending = await json<{ hosts: Host[] }>(server.admin('/api/admin/hosts?status=PENDING'));
    expect(pending.hosts.find((h) => h.alarm === 'clone')).toBeDefined();
    expect(pending.hosts.find((h) => h.hostname === 'stranger')).toBeDefined();
    expect(pending.hosts.filter((h) => h.expected && !h.alarm)).toEqual([]);
  });

  it('a rule made in the form approves a matching request, and the audit entry names the rule', async () => {
    await nav('Approval rules').click();
    await page.getByRole('button', { name: 'New rule' }).click();
    const form = page.getByRole('dialog', { name: 'New approval rule' });
    await form.getByLabel('Name').fill('lab spares');
    // No condition yet: nothing to save.
    expect(await form.getByRole('button', { name: 'Create rule' }).isDisabled()).toBe(true);
    await form.getByLabel('Label').fill('spare');
    await form.getByLabel(/Approve at most/).fill('5');
    await form.getByRole('button', { name: 'Create rule' }).click();
    await form.waitFor({ state: 'detached' });
    const row = page.getByRole('listitem', { name: 'Rule 1: lab spares' });
    expect(await row.textContent()).toContain('When labelled spare');

    const spare = await register({ hostname: 'spare-1', serial: 'SN-SPARE-1', labels: ['spare'] });
    expect(spare.status).toBe('APPROVED');
    expect((await host(spare.host_id)).decided_by).toBe('rule:lab spares');
    const { entries } = await json<{ entries: AuditEntry[] }>(
      server.admin(`/api/admin/audit?target_id=${spare.host_id}`),
    );
    expect(entries.find((e) => e.action === 'host.auto_approved')?.detail).toMatchObject({
      approved_by: 'rule:lab spares',
    });
    // The rules event refreshes the count on screen.
    await expect.poll(() => row.textContent()).toContain('Approved 1 of 5');
  });

  it('reorders rules with the keyboard alone, focus staying on the moved rule', async () => {
    for (const name of ['second rule', 'third rule']) {
      await json(
        server.admin('/api/admin/approval-rules', {
          json: { name, match: { label: name.split(' ')[0] }, max_count: 0 },
        }),
      );
    }
    await expect.poll(() => page.getByRole('listitem', { name: /^Rule \d/ }).count()).toBe(3);
    await page.getByRole('heading', { name: 'Approval rules' }).focus();
    const focusedName = () => page.evaluate(() => document.activeElement?.textContent ?? '');
    // Tab to "Move down lab spares" as a keyboard user would.
    for (let i = 0; i < 40 && (await focusedName()) !== 'Move down lab spares'; i++) await page.keyboard.press('Tab');
    expect(await focusedName()).toBe('Move down lab spares');
    await page.keyboard.press('Enter');
    await expect.poll(rulesInOrder).toEqual(['second rule', 'lab spares', 'third rule']);
    await expect.poll(focusedName).toBe('Move down lab spares');
    await page.keyboard.press('Space');
    await expect.poll(rulesInOrder).toEqual(['second rule', 'third rule', 'lab spares']);
    // At the bottom "Move down" is disabled: focus is on its "Move up".
    await expect.poll(focusedName).toBe('Move up lab spares');
    await page.keyboard.press('Enter');
    await expect.poll(rulesInOrder).toEqual(['second rule', 'lab spares', 'third rule']);
    expect(await page.getByRole('listitem', { name: /^Rule 2:/ }).getAttribute('aria-label')).toBe(
      'Rule 2: lab spares',
    );
  });

  it('disables a rule with its toggle and deletes one after confirming', async () => {
    await page.getByRole('checkbox', { name: 'Enabled third rule' }).uncheck();
    await expect
      .poll(async () => (await json<{ rules: ApprovalRule[] }>(server.admin('/api/admin/approval-rules'))).rules)
      .toContainEqual(expect.objectContaining({ name: 'third rule', enabled: false }));
    await page.getByRole('button', { name: 'Delete second rule' }).click();
    await page
      .getByRole('dialog', { name: /Delete the rule second rule/ })
      .getByRole('button', { name: 'Delete rule' })
      .click();
    await expect.poll(rulesInOrder).toEqual(['lab spares', 'third rule']);
  });
});
