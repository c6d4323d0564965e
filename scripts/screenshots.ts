// Seeds a headless Gatehouse with a realistic lab (2,000 hosts) and photographs every
// screen of the admin UI into docs/ (light and dark, and the 800×600 layout).
// Run: npm run docs:screenshots
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { seedLab } from '../tests/e2e/admin-seed';
import { ensureRendererBuilt, launchChromium, signedInPage } from '../tests/helpers/browser';
import { startTestServer } from '../tests/helpers/gatehouse';

const docs = join(import.meta.dirname, '..', 'docs');
await ensureRendererBuilt();
const server = await startTestServer();
await seedLab(server, { approved: 2000, pending: 12 });
const browser = await launchChromium();
const shot = (page: Page, name: string) => page.screenshot({ path: join(docs, `${name}.png`) });

async function tour(page: Page, suffix: string) {
  await page.getByRole('table', { name: 'Hosts' }).waitFor();
  await page.waitForTimeout(300);
  await shot(page, `hosts${suffix}`);
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
}

for (const [colorScheme, suffix] of [
  ['light', ''],
  ['dark', '-dark'],
] as const) {
  const page = await signedInPage(browser, server, { width: 1280, height: 800, colorScheme, useLoginUrl: !suffix });
  await tour(page, suffix);
  await page.close();
}
const small = await signedInPage(browser, server, { width: 800, height: 600 });
await small.getByRole('table', { name: 'Hosts' }).waitFor();
await small.waitForTimeout(300);
await shot(small, 'hosts-800x600');
await browser.close();
await server.dispose();
console.log('screenshots written to docs/');
