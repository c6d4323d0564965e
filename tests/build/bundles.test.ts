import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { APP_ROOT } from '../helpers/gatehouse';

// `npm test` runs `npm run build` first; these read what it produced.
const out = (...parts: string[]) => join(APP_ROOT, 'out', ...parts);

describe('the build', () => {
  it('produces the Electron main bundle and the Electron-free headless bundle', () => {
    expect(readFileSync(out('main', 'index.js'), 'utf8')).toContain('from "electron"');
    const serve = readFileSync(out('main', 'serve.js'), 'utf8');
    expect(serve).not.toMatch(/from "electron"|require\("electron"\)/);
  });

  it('produces a sandbox-loadable preload: one CommonJS file that requires only electron', () => {
    const preload = readFileSync(out('preload', 'index.cjs'), 'utf8');
    const required = [...preload.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
    expect(new Set(required)).toEqual(new Set(['electron']));
    expect(preload).not.toMatch(/^import /m);
  });

  it('produces the renderer page with a strict Content-Security-Policy', () => {
    const html = readFileSync(out('renderer', 'index.html'), 'utf8');
    expect(html).toMatch(/<meta http-equiv="Content-Security-Policy" content="default-src 'self'; script-src 'self';/);
    expect(existsSync(out('renderer', 'assets'))).toBe(true);
  });
});
