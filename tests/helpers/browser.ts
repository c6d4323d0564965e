import { closeSync, existsSync, openSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium, driven by playwright-core; never a browser download. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
}

const ROOT = join(import.meta.dirname, '..', '..');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * Builds the renderer into out/renderer (what the headless server serves) when the
 * sources are newer than the build, one builder at a time across test workers.
 */
export async function ensureRendererBuilt(): Promise<void> {
  const index = join(ROOT, 'out', 'renderer', 'index.html');
  const fresh = () =>
    existsSync(index) &&
    statSync(index).mtimeMs >
      Math.max(newestMtime(join(ROOT, 'src', 'renderer')), newestMtime(join(ROOT, 'src', 'shared')));
  if (fresh()) return;
  const lock = join(ROOT, 'out', '.renderer-build.lock');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(join(ROOT, 'out'), { recursive: true });
  for (;;) {
    try {
      closeSync(openSync(lock, 'wx'));
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    if (fresh()) return;
    const { build } = await import('vite');
    const react = (await import('@vitejs/plugin-react')).default;
    await build({
      root: join(ROOT, 'src', 'renderer'),
      base: './',
      configFile: false,
      logLevel: 'warn',
      plugins: [react()],
      build: { outDir: join(ROOT, 'out', 'renderer'), emptyOutDir: true },
    });
  } finally {
    rmSync(lock, { force: true });
  }
}

/**
 * A page signed in as the admin: through a sign-in link (`useLoginUrl`: a fresh one from
 * `loginUrl()` each time, or endpoint.json's single-use one), or on the sign-in page with
 * the admin token, as a person with the token file would.
 */
export async function signedInPage(
  browser: Browser,
  server: { endpoint: { admin_url: string; login_url: string }; adminToken: string; loginUrl?: () => string },
  options: { width?: number; height?: number; colorScheme?: 'light' | 'dark'; useLoginUrl?: boolean } = {},
): Promise<Page> {
  const page = await browser.newPage({
    viewport: { width: options.width ?? 1280, height: options.height ?? 900 },
    colorScheme: options.colorScheme ?? 'light',
  });
  if (options.useLoginUrl) {
    // A fresh single-use link when the server can mint one; endpoint.json's own link works once.
    await page.goto(server.loginUrl ? server.loginUrl() : server.endpoint.login_url);
  } else {
    await page.goto(`${server.endpoint.admin_url}/login`);
    await page.getByLabel('Admin token').fill(server.adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }
  await page.getByRole('heading', { name: /Approval queue/ }).waitFor();
  return page;
}
