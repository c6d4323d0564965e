import { execFile } from 'node:child_process';
import { constants } from 'node:crypto';
import { connect, type ConnectionOptions } from 'node:tls';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../../helpers/gatehouse';

let server: TestServer;
const run = promisify(execFile);

/** True when curl, pinning `pin`, completes a TLS handshake with the LAN listener. */
const pinnedHandshake = (pin: string) =>
  run('curl', ['-fsSk', '--pinnedpubkey', `sha256//${pin}`, `${server.endpoint.lan_url}/api/health`]).then(
    () => true,
    () => false,
  );
beforeAll(async () => {
  server = await startTestServer({ tls: true });
});
afterAll(async () => server.dispose());

describe('system info and certificate regeneration', () => {
  it('reports the running endpoint and where the sealing key lives', async () => {
    const info = await (await server.admin('/api/admin/system')).json();
    expect(info).toMatchObject({
      lan_url: server.endpoint.lan_url,
      tls_fingerprint: server.endpoint.tls_fingerprint,
      key_storage: 'file',
      restart_required: false,
    });
  });

  it('swaps the key pair live: new pin in system info, endpoint.json, join links and the audit log', async () => {
    const before = server.endpoint.tls_fingerprint!;
    const res = await server.admin('/api/admin/certificate/regenerate', { method: 'POST' });
    expect(res.status).toBe(200);
    const { tls_fingerprint } = (await res.json()) as { tls_fingerprint: string };
    expect(tls_fingerprint).not.toBe(before);
    expect(await pinnedHandshake(tls_fingerprint)).toBe(true);
    expect(await pinnedHandshake(before)).toBe(false);
    expect(JSON.parse(readFileSync(join(server.dir, 'endpoint.json'), 'utf8')).tls_fingerprint).toBe(tls_fingerprint);
    const token = (await (
      await server.admin('/api/admin/registration-tokens', { json: { expires_in_hours: 1, max_uses: 1 } })
    ).json()) as {
      join_command: string;
    };
    expect(token.join_command).toContain(`sha256//${tls_fingerprint}`);
    const [entry] = (
      (await (await server.admin('/api/admin/audit?limit=2')).json()) as {
        entries: { action: string; detail: unknown }[];
      }
    ).entries.slice(1);
    expect(entry).toMatchObject({
      action: 'certificate.regenerated',
      detail: { previous_fingerprint: before, fingerprint: tls_fingerprint },
    });
  });

  it('keeps AEAD-only TLS 1.2 and session-ID resumption after the swap', async () => {
    const res = await server.admin('/api/admin/certificate/regenerate', { method: 'POST' });
    expect(res.status).toBe(200);
    const port = Number(new URL(server.endpoint.lan_url).port);
    const ca = readFileSync(join(server.dir, 'tls-cert.pem'), 'utf8');
    const open = (options: ConnectionOptions) =>
      new Promise<import('node:tls').TLSSocket>((resolve, reject) => {
        const socket = connect({ host: '127.0.0.1', port, ca, maxVersion: 'TLSv1.2', ...options }, () =>
          resolve(socket),
        );
        socket.once('error', reject);
      });
    await expect(open({ ciphers: 'ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA384' })).rejects.toThrow(
      /handshake failure|no shared cipher/,
    );
    const noTicket = { secureOptions: constants.SSL_OP_NO_TICKET };
    const first = await open(noTicket);
    const session = first.getSession()!;
    first.end();
    const second = await open({ ...noTicket, session });
    expect(second.isSessionReused()).toBe(true);
    expect(second.getCipher().name).toMatch(/GCM|CHACHA20/);
    second.end();
  });
});
