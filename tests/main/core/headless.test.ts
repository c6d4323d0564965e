import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHeadless, type Headless } from '../../../src/main/core/headless';
import { APP_ROOT, silentLogger } from '../../helpers/gatehouse';
import { tempDir } from '../../helpers/temp-dir';
import { freePort } from '../../helpers/free-port';

describe('the headless server', () => {
  let headless: Headless;
  let dir: string;
  let metricsPort: number;
  beforeAll(async () => {
    dir = tempDir();
    metricsPort = await freePort();
    headless = await startHeadless({
      dataDir: dir,
      port: 0,
      adminPort: 0,
      bind: '127.0.0.1',
      http: true,
      metricsBind: { host: '127.0.0.1', port: metricsPort },
      logger: silentLogger,
      appRoot: APP_ROOT,
      version: 'test',
    });
  });
  afterAll(async () => headless.stop());

  it('writes endpoint.json with both listeners, a single-use login URL and its pid', () => {
    const endpoint = JSON.parse(readFileSync(join(dir, 'endpoint.json'), 'utf8')) as Record<string, unknown>;
    expect(endpoint).toEqual(headless.endpoint);
    expect(endpoint.login_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/login\?code=[\w-]{20,}$/);
    expect(endpoint.pid).toBe(process.pid);
  });

  it('serves /metrics without a credential on --metrics-bind, and nothing else there', async () => {
    const metrics = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(await metrics.text()).toMatch(/^gatehouse_hosts\{/m);
    const other = await fetch(`http://127.0.0.1:${metricsPort}/api/admin/hosts`);
    expect(other.status).toBe(404);
    expect(await other.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });

  it('asks the admin listener for a credential before /metrics', async () => {
    expect((await fetch(`${headless.endpoint.admin_url}/metrics`)).status).toBe(401);
  });
});

describe('sign-in links', () => {
  it('mints a fresh single-use link on request; each works once', async () => {
    const dir = tempDir();
    const headless = await startHeadless({
      dataDir: dir,
      port: 0,
      adminPort: 0,
      bind: '127.0.0.1',
      http: true,
      logger: silentLogger,
      appRoot: APP_ROOT,
      version: 'test',
    });
    try {
      const link = headless.loginUrl();
      expect(link).not.toBe(headless.endpoint.login_url);
      const first = await fetch(link, { redirect: 'manual' });
      expect(first.status).toBe(303);
      expect(first.headers.get('set-cookie')).toMatch(/^gatehouse_session_\d+=/);
      const again = await fetch(link, { redirect: 'manual', headers: { Accept: 'application/json' } });
      expect(again.status).toBe(401);
    } finally {
      await headless.stop();
    }
  });
});
