import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExpectedImportResult, Host } from '../../src/shared/domain';
import { joinCommand } from '../../src/main/core/services/join-links';
import { launchChromium } from '../helpers/browser';
import { startTestServer, type TestServer } from '../helpers/gatehouse';

const HOSTS = 40;
const CSV = [
  'hostname,serial,position',
  ...Array.from({ length: HOSTS }, (_, i) => `sheet-node-${i + 1},SHEET-SN-${i + 1},B7-U${i + 1}`),
].join('\r\n');

let server: TestServer;
let browser: Browser;
let dir: string;

beforeAll(async () => {
  server = await startTestServer();
  browser = await launchChromium();
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-sheet-'));
});
afterAll(async () => {
  await browser?.close();
  await server?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function json<T>(res: Promise<Response>): Promise<T> {
  const r = await res;
  const text = await r.text();
  if (r.status >= 300) throw new Error(`${r.status}: ${text}`);
  return JSON.parse(text) as T;
}

describe('the enrolment sheet', () => {
  it('prints 40 cards to PDF whose QR codes decode to each host’s join command, each token valid exactly once', async () => {
    const imported = await json<ExpectedImportResult>(
      server.admin('/api/admin/expected-hosts/import', { json: { csv: CSV } }),
    );
    expect(imported).toMatchObject({ imported: HOSTS, errors: [] });

    const res = await server.admin(`/api/admin/expected-hosts/sheet?import_id=${imported.import_id}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    // Printing again shows the same tokens: no second set is minted.
    const again = await (await server.admin(`/api/admin/expected-hosts/sheet?import_id=${imported.import_id}`)).text();
    expect(again).toBe(html);

    const page = await browser.newPage();
    await page.setContent(html);
    const started = Date.now();
    const pdf = await page.pdf({ format: 'A4', printBackground: true });
    await page.close();
    writeFileSync(join(dir, 'sheet.pdf'), pdf);
    execFileSync('pdftoppm', ['-r', '150', '-png', join(dir, 'sheet.pdf'), join(dir, 'page')]);
    const pages = readdirSync(dir)
      .filter((f) => f.startsWith('page') && f.endsWith('.png'))
      .sort();
    expect(pages).toHaveLength(Math.ceil(HOSTS / 6));

    const decoded: string[] = [];
    for (const png of pages) {
      const out = execFileSync('zbarimg', ['--raw', '-q', '-Sqrcode.enable', join(dir, png)], { encoding: 'utf8' });
      decoded.push(...out.split('\n').filter(Boolean));
    }
    console.log(
      `enrolment sheet: ${pages.length} pages, ${decoded.length} QR codes decoded in ${Date.now() - started} ms`,
    );
    expect(decoded).toHaveLength(HOSTS);
    expect(new Set(decoded).size).toBe(HOSTS);

    const endpoint = { lanUrl: server.endpoint.lan_url, tlsFingerprint: server.endpoint.tls_fingerprint };
    const tokens = decoded.map((command) => {
      const token = /GATEHOUSE_TOKEN='([^']+)'/.exec(command)?.[1];
      expect(token, command).toBeDefined();
      expect(command).toBe(joinCommand(endpoint, token!));
      expect(html).toContain(token!);
      return token!;
    });

    const names = new Set<string>();
    for (const [i, token] of tokens.entries()) {
      const body = { token, hostname: 'unnamed', machine_id: `sheet-machine-${i}-0000` };
      const first = await server.lan('/api/hosts/register', { json: body });
      expect(first.status).toBe(201);
      const { host_id } = (await first.json()) as { host_id: string };
      const again = await server.lan('/api/hosts/register', {
        json: { ...body, machine_id: `sheet-replay-${i}-0000` },
      });
      expect(again.status).toBe(401);
      expect(((await again.json()) as { error: { code: string } }).error.code).toBe('TOKEN_EXHAUSTED');
      // The token was minted for one row: the host is that row, though it reported no hardware.
      const host = await json<Host>(server.admin(`/api/admin/hosts/${host_id}`));
      expect(host.expected?.hostname).toBe(host.hostname);
      names.add(host.hostname);
    }
    expect(names).toEqual(new Set(Array.from({ length: HOSTS }, (_, i) => `sheet-node-${i + 1}`)));
  });
});
