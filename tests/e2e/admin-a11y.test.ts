import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureRendererBuilt, launchChromium, signedInPage } from '../helpers/browser';
import { startTestServer, type TestServer } from '../helpers/gatehouse';
import { rackMachine, seedLab, seedRack } from './admin-seed';

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

let server: TestServer;
let browser: Browser;
let rack: Awaited<ReturnType<typeof seedRack>>;
let clones = 0;

beforeAll(async () => {
  await ensureRendererBuilt();
  server = await startTestServer();
  const started = Date.now();
  await seedLab(server, { approved: 2000, pending: 40 });
  rack = await seedRack(server);
  console.log(`seeded 2,000 hosts in ${Date.now() - started} ms`);
  browser = await launchChromium();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await server?.dispose();
});

/** axe-core in the page (evaluated over CDP, so the page's CSP does not apply); every impact counts. */
async function violations(page: Page, screen: string): Promise<string[]> {
  await page.evaluate(axeSource);
  const result = await page.evaluate(() =>
    (window as unknown as { axe: { run(o: unknown): Promise<{ violations: unknown[] }> } }).axe.run({
      resultTypes: ['violations'],
    }),
  );
  return (result.violations as { id: string; impact: string; help: string; nodes: { target: string[] }[] }[]).map(
    (v) =>
      `${screen}: ${v.id} (${v.impact}) ${v.help} at ${v.nodes
        .map((n) => n.target.join(' '))
        .slice(0, 3)
        .join(', ')}`,
  );
}

/** Another machine reporting the serial of the enrolled d1-node-01: the clone alarm, live. */
async function raiseCloneAlarm() {
  const m = rackMachine('zz', 50 + clones++);
  await server.gatehouse.enrolment.register(
    {
      token: rack.token.token,
      hostname: 'localhost',
      machine_id: `clone-${clones}-of-d1-node-01`,
      facts: { serial: rack.d1[0]!.serial, system_uuid: m.system_uuid },
    },
    '10.30.9.67',
  );
}

/** Every screen, one after the other, checked as it appears. */
async function everyScreen(page: Page): Promise<string[]> {
  const found: string[] = [];
  const check = async (screen: string) => {
    await page.waitForTimeout(150);
    found.push(...(await violations(page, screen)));
  };
  await page
    .getByRole('listitem', { name: /^Request from/ })
    .first()
    .waitFor();
  await page.getByRole('table', { name: 'Hosts' }).waitFor();
  await raiseCloneAlarm();
  const banner = page.getByRole('alert').filter({ hasText: 'Possible clone' });
  await banner.waitFor();
  await check('hosts, with an alarm banner, expected and alarmed cards');
  await banner.getByRole('button', { name: 'Show host' }).click();
  await page.getByRole('dialog').getByText('Hardware').waitFor();
  await check('host detail with an alarm');
  await page.keyboard.press('Escape');
  await banner.getByRole('button', { name: /Dismiss/ }).click();
  await page.getByRole('button', { name: /^Offline \d+/ }).click();
  await check('hosts, offline filter');
  await page.getByRole('button', { name: /^All \d+/ }).click();
  await page.getByLabel('Compact rows').check();
  await check('hosts, compact');
  await page.getByLabel('Compact rows').uncheck();
  const queue = page.getByRole('region', { name: /Approval queue/ });
  await queue.getByLabel(/Select all \d+ waiting/).check();
  await queue.getByRole('button', { name: /Approve selected/ }).click();
  await check('approve confirmation');
  await page.keyboard.press('Escape');
  await queue.getByLabel(/Select all \d+ waiting/).uncheck();
  await page.locator('[role=row][data-host-id] button.host-link').first().click();
  await page.getByRole('dialog').getByText('Hardware').waitFor();
  await check('host detail');
  await page.keyboard.press('Escape');
  await page.getByRole('button', { name: 'Add Host' }).click();
  await check('add host');
  const dialog = page.getByRole('dialog', { name: 'Add Host' });
  await dialog.getByLabel(/Ephemeral/).check();
  await check('add host, ephemeral');
  await dialog.getByLabel(/Ephemeral/).uncheck();
  await dialog.getByRole('button', { name: 'Create token' }).click();
  await dialog.getByTestId('token-qr').waitFor();
  await check('token created');
  await dialog.getByLabel('A link to the phone join page').check();
  await check('token created, link QR');
  await dialog.getByRole('tab', { name: 'Existing tokens' }).click();
  await dialog.getByRole('listitem').first().waitFor();
  await check('existing tokens');
  await page.keyboard.press('Escape');
  await page.getByRole('button', { name: 'Audit' }).click();
  await page.getByRole('table').waitFor();
  await check('audit');
  await page.getByRole('button', { name: 'Settings' }).click();
  await page.getByRole('heading', { name: 'Settings' }).waitFor();
  await check('settings');
  await page.getByLabel(/Disable approved hosts that stay offline/).check();
  await check('settings, silent hosts disabled after days');
  await page.getByRole('button', { name: 'Expected hosts' }).click();
  await page
    .getByRole('table', { name: /Rows of the import/ })
    .first()
    .waitFor();
  await check('expected hosts');
  await page.getByRole('button', { name: 'Import CSV…' }).click();
  const importer = page.getByRole('dialog', { name: 'Import expected hosts' });
  await importer.getByLabel(/Auto-approve/).check();
  await check('import dialog, auto-approve warning');
  await importer.getByRole('textbox', { name: /^CSV/ }).fill('hostname,serial,mac\n,,\nbad-mac,,zz');
  await importer.getByLabel(/Auto-approve/).uncheck();
  await importer.getByRole('button', { name: 'Import', exact: true }).click();
  await importer.getByRole('list', { name: 'Refused rows' }).waitFor();
  await check('import result with refused lines');
  await page.keyboard.press('Escape');
  await page.getByRole('button', { name: 'Approval rules' }).click();
  await page.getByRole('list', { name: 'Approval rules in order' }).waitFor();
  await check('approval rules');
  await page.getByRole('button', { name: 'New rule' }).click();
  const ruleForm = page.getByRole('dialog', { name: 'New approval rule' });
  await ruleForm.getByLabel('Source network').fill('10.30.7.0/99');
  await check('new rule form with an invalid network');
  await page.keyboard.press('Escape');
  await page.getByRole('button', { name: /^Hosts/ }).click();
  return found;
}

describe('accessibility of every screen with 2,000 hosts (axe-core, any impact)', () => {
  for (const colorScheme of ['light', 'dark'] as const) {
    for (const [width, height] of [
      [800, 600],
      [2560, 1440],
    ] as const) {
      it(`has no violations in ${colorScheme} at ${width}×${height}`, async () => {
        const page = await signedInPage(browser, server, { width, height, colorScheme });
        page.setDefaultTimeout(10_000);
        const found = await everyScreen(page);
        await page.close();
        expect(found.slice(0, 1)).toEqual([]);
        expect(found).toEqual([]);
      }, 120_000);
    }
  }

  it('the checker itself catches a planted fault (the dark pending badge’s old 2.77:1 contrast)', async () => {
    const page = await signedInPage(browser, server, { colorScheme: 'dark' });
    await page.evaluate(() => {
      const badge = document.createElement('span');
      badge.textContent = '12';
      badge.style.cssText = 'background:#ff6b6b;color:#fff';
      document.querySelector('main')!.append(badge);
    });
    expect((await violations(page, 'planted')).join('\n')).toContain('color-contrast');
    await page.close();
  });

  it('keeps the hosts table’s actions on screen at 800×600 and leaves the content most of the height', async () => {
    const page = await signedInPage(browser, server, { width: 800, height: 600 });
    const row = page.locator('[role=row][data-host-id]').first();
    await row.waitFor();
    await row.scrollIntoViewIfNeeded();
    const actions = (await row.locator('.row-actions').boundingBox())!;
    expect(actions.x + actions.width).toBeLessThanOrEqual(800);
    const nav = (await page.getByRole('navigation', { name: 'Main' }).boundingBox())!;
    expect(nav.height).toBeLessThan(100);
    await page.close();
  });
});
