import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeDir, startServeProcess } from '../helpers/serve-process';

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

describe('npm run serve', () => {
  it('writes endpoint.json and a 0600 admin-token, and stops cleanly on SIGINT', async () => {
    const serve = await startServeProcess(['--http']);
    dirs.push(serve.dir);
    expect(serve.endpoint).toMatchObject({
      lan_url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      tls_fingerprint: null,
    });
    expect(serve.endpoint.login_url.startsWith(serve.endpoint.admin_url)).toBe(true);
    expect(statSync(join(serve.dir, 'admin-token')).mode & 0o777).toBe(0o600);
    expect(statSync(join(serve.dir, 'secret.key')).mode & 0o777).toBe(0o600);
    expect((await fetch(`${serve.endpoint.lan_url}/api/health`)).status).toBe(200);
    expect(await serve.stop('SIGINT')).toBe(0);
  }, 90_000);

  it('keeps every acknowledged write across kill -9, and the same certificate and admin token', async () => {
    const first = await startServeProcess();
    dirs.push(first.dir);
    const created = [];
    for (let i = 0; i < 20; i++) {
      const res = await first.admin('/api/admin/registration-tokens', {
        json: { expires_in_hours: 1, max_uses: 1, description: `t${i}` },
      });
      expect(res.status).toBe(201);
      created.push(((await res.json()) as { id: string }).id);
    }
    expect(await first.stop('SIGKILL')).not.toBe(0);
    const second = await startServeProcess([], first.dir);
    expect(second.endpoint.tls_fingerprint).toBe(first.endpoint.tls_fingerprint);
    expect(second.adminToken).toBe(first.adminToken);
    const { tokens } = (await (await second.admin('/api/admin/registration-tokens')).json()) as {
      tokens: { id: string }[];
    };
    expect(tokens.map((t) => t.id).sort()).toEqual(created.sort());
    expect(await second.stop()).toBe(0);
  }, 90_000);
});
