// Seeds a headless Gatehouse with a realistic lab and photographs the main screens
// into docs/ (light and dark). Run: npm run docs:screenshots (after npm run build).
import { join } from 'node:path';
import { launchChromium } from '../tests/helpers/browser';
import { startTestServer } from '../tests/helpers/gatehouse';

const root = join(import.meta.dirname, '..');
const headless = await startTestServer();
const g = headless.gatehouse;
const rack = g.tokens.create(
  { expires_in_hours: 24, max_uses: 25, description: 'Rack B12 reinstall', labels: ['rack=b12'] },
  'admin',
);
const gpu = g.tokens.create(
  { expires_in_hours: 4, max_uses: 5, description: 'GPU nodes', labels: ['role=gpu'] },
  'admin',
);
g.tokens.create({ expires_in_hours: 168, max_uses: 0, description: 'Lab spares', auto_approve: true }, 'admin');
const reg = (token: string, hostname: string, i: number) =>
  g.enrolment.register(
    {
      token,
      hostname,
      machine_id: `machine-${hostname}`,
      os: 'Debian GNU/Linux 12',
      arch: 'x86_64',
      ips: [`10.20.12.${i}`],
    },
    `10.20.12.${i}`,
  );
for (let i = 1; i <= 14; i++) {
  const h = reg(rack.token, `b12-node-${String(i).padStart(2, '0')}`, i);
  g.hosts.decide(h.host_id, 'approve', 'admin');
  if (i % 5 !== 0) g.enrolment.heartbeat(g.enrolment.authenticate(h.host_token));
}
reg(gpu.token, 'gpu-01', 41);
reg(gpu.token, 'gpu-02', 42);
const old = g.hosts.list('APPROVED').hosts.find((h) => h.hostname === 'b12-node-03')!;
g.enrolment.register(
  { token: rack.token, hostname: 'b12-node-03', machine_id: old.machine_id, os: 'Debian GNU/Linux 12', arch: 'x86_64' },
  '10.20.12.3',
);
g.heartbeats.flush();

const browser = await launchChromium();
for (const scheme of ['light', 'dark'] as const) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, colorScheme: scheme });
  await page.goto(headless.endpoint.login_url);
  await page.getByRole('heading', { name: /Approval queue/ }).waitFor();
  const suffix = scheme === 'dark' ? '-dark' : '';
  await page.screenshot({ path: join(root, 'docs', `hosts${suffix}.png`) });
  if (scheme === 'light') {
    await page.getByRole('button', { name: 'Add Host' }).click();
    await page.getByLabel('Description').fill('Rack C7');
    await page.getByLabel('Max uses').selectOption({ label: '10' });
    await page.getByRole('button', { name: 'Create token' }).click();
    await page.getByTestId('token-qr').waitFor();
    await page.screenshot({ path: join(root, 'docs', 'add-host.png') });
    await page.getByRole('tab', { name: 'Existing tokens' }).click();
    await page.screenshot({ path: join(root, 'docs', 'tokens.png') });
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: 'Audit' }).click();
    await page.getByRole('table').waitFor();
    await page.screenshot({ path: join(root, 'docs', 'audit.png') });
  }
  await page.close();
}
await browser.close();
await headless.dispose();
console.log('screenshots written to docs/');
