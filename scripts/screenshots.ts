// Seeds a headless Gatehouse with a realistic lab (2,000 hosts) and photographs every
// screen of the admin UI into docs/ (light and dark, and the 800×600 layout).
// Run: npm run docs:screenshots
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { rackMachine, seedLab, seedRack } from '../tests/e2e/admin-seed';
import { ensureRendererBuilt, launchChromium, signedInPage } from '../tests/helpers/browser';
import { startTestServer } from '../tests/helpers/gatehouse';

const docs = join(import.meta.dirname, '..', 'docs');
await ensureRendererBuilt();
const server = await startTestServer();
await seedLab(server, { approved: 2000, pending: 12 });
const rack = await seedRack(server);
let clones = 0;
const browser = await launchChromium();
const shot = (page: Page, name: string) => page.screenshot({ path: join(docs, `${name}.png`) });

/** Another machine reporting an enrolled machine's serial, while the page is open: the clone alarm. */
async function raiseCloneAlarm() {
  clones++;
  await server.gatehouse.enrolment.register(
    {
      token: rack.token.token,
      hostname: 'localhost',
      machine_id: `clone-${clones}-of-d1-node-01`,
      facts: { serial: rack.d1[0]!.serial, system_uuid: rackMachine('zz', 60 + clones).system_uuid },
    },
    '10.30.9.67',
  );
}

async function tour(page: Page, suffix: string) {
  await page.getByRole('table', { name: 'Hosts' }).waitFor();
  await page.waitForTimeout(300);
  await shot(page, `hosts${suffix}`);
  await raiseCloneAlarm();
  const banner = page.getByRole('alert').filter({ hasText: 'Possible clone' });
  await banner.waitFor();
  // The queue narrowed to the racks' token: expected cards, and the clone with its alarm.
  const rackQueue = page.getByRole('region', { name: /Approval queue/ });
  await rackQueue.getByLabel('Token').selectOption({ label: `${rack.token.prefix}… Racks C7 and D1` });
  await page
    .getByRole('listitem', { name: /^Request from c7-node/ })
    .first()
    .waitFor();
  await page.waitForTimeout(300);
  await shot(page, `alarm${suffix}`);
  await rackQueue.getByLabel('Token').selectOption('');
  await banner.getByRole('button', { name: 'Show host' }).click();
  await page.getByRole('dialog').getByText('Hardware').waitFor();
  await page.waitForTimeout(300);
  await shot(page, `host-alarm${suffix}`);
  await page.keyboard.press('Escape');
  await banner.getByRole('button', { name: /Dismiss/ }).click();
  await page.getByRole('button', { name: /^Offline \d+/ }).click();
  await page.waitForTimeout(300);
  await shot(page, `hosts-offline${suffix}`);
  await page.getByRole('button', { name: /^All \d+/ }).click();
  const queue = page.getByRole('region', { name: /Approval queue/ });
  await queue.getByLabel(/Select all \d+ waiting/).check();
  await queue.getByRole('button', { name: /Approve selected/ }).click();
  await shot(page, `approve-confirm${suffix}`);
  await page.keyboard.press('Escape');
  await queue.getByLabel(/Select all \d+ waiting/).uncheck();
  await page.locator('[role=row][data-host-id] button.host-link').first().click();
  await page.getByRole('dialog').getByText('Hardware').waitFor();
  await page.waitForTimeout(300);
  await shot(page, `host-detail${suffix}`);
  await page.keyboard.press('Escape');
  await page.getByRole('button', { name: 'Add Host' }).click();
  const dialog = page.getByRole('dialog', { name: 'Add Host' });
  await dialog.getByLabel('Description').fill('Rack C7');
  await shot(page, `add-host-form${suffix}`);
  await dialog.getByRole('button', { name: 'Create token' }).click();
  await dialog.getByTestId('token-qr').waitFor();
  await shot(page, `add-host${suffix}`);
  await dialog.getByRole('tab', { name: 'Existing tokens' }).click();
  await dialog.getByRole('listitem').first().waitFor();
  await shot(page, `tokens${suffix}`);
  await page.keyboard.press('Escape');
  await page.getByRole('button', { name: 'Audit' }).click();
  await page.getByRole('table').waitFor();
  await shot(page, `audit${suffix}`);
  await page.getByRole('button', { name: 'Settings' }).click();
  await page.getByRole('heading', { name: 'Settings' }).waitFor();
  await page.waitForTimeout(300);
  await shot(page, `settings${suffix}`);
  await page.getByRole('button', { name: 'Expected hosts' }).click();
  await page
    .getByRole('table', { name: /Rows of the import/ })
    .first()
    .waitFor();
  await page.waitForTimeout(300);
  await shot(page, `expected-hosts${suffix}`);
  await page.getByRole('button', { name: 'Import CSV…' }).click();
  const importer = page.getByRole('dialog', { name: 'Import expected hosts' });
  const e1 = rackMachine('e1', 1);
  await importer
    .getByRole('textbox', { name: /^CSV/ })
    .fill(
      `hostname,serial,mac,position\n${e1.hostname},${e1.serial}${suffix},,E1-U1\ne1-node-02,,b4:96:91:e1:00,E1-U2\n,CZE100003${suffix},,E1-U3`,
    );
  await importer.getByLabel(/Auto-approve/).check();
  await shot(page, `expected-import-form${suffix}`);
  await importer.getByLabel(/Auto-approve/).uncheck();
  await importer.getByRole('button', { name: 'Import', exact: true }).click();
  await importer.getByRole('list', { name: 'Refused rows' }).waitFor();
  await shot(page, `expected-import${suffix}`);
  await page.keyboard.press('Escape');
  await page.getByRole('button', { name: 'Approval rules' }).click();
  await page.getByRole('list', { name: 'Approval rules in order' }).waitFor();
  await page.waitForTimeout(300);
  await shot(page, `rules${suffix}`);
  await page.getByRole('button', { name: 'Edit Dell workers in C7' }).click();
  await page.getByRole('dialog', { name: /Edit rule/ }).waitFor();
  await shot(page, `rule-form${suffix}`);
  await page.keyboard.press('Escape');
  await page.getByRole('button', { name: /^Hosts/ }).click();
}

for (const [colorScheme, suffix] of [
  ['light', ''],
  ['dark', '-dark'],
] as const) {
  const page = await signedInPage(browser, server, { width: 1280, height: 800, colorScheme, useLoginUrl: true });
  await tour(page, suffix);
  await page.close();
}
const small = await signedInPage(browser, server, { width: 800, height: 600 });
await small.getByRole('table', { name: 'Hosts' }).waitFor();
await small.waitForTimeout(300);
await shot(small, 'hosts-800x600');
// The printable enrolment sheet of rack C7, as the browser opens it.
const rows = (await (await server.admin('/api/admin/expected-hosts')).json()) as {
  expected_hosts: { import_id: string; hostname: string }[];
};
const c7 = rows.expected_hosts.find((r) => r.hostname.startsWith('c7-'))!.import_id;
await small.goto(`${server.endpoint.admin_url}/api/admin/expected-hosts/sheet?import_id=${c7}`);
await small.setViewportSize({ width: 900, height: 1270 });
await shot(small, 'enrolment-sheet');
await browser.close();
await server.dispose();
console.log('screenshots written to docs/');
