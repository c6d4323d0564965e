import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { registration, startTestServer, type TestServer } from '../helpers/gatehouse';

let server: TestServer | undefined;
afterEach(async () => server?.dispose());

/** The forms a secret could be written in: as shown, compact, and its random middle alone. */
function forms(secret: string): string[] {
  const compact = secret.replace(/-/g, '');
  return [secret, compact, compact.slice(4, 24)];
}

describe('secrets at rest', () => {
  it('the database file, its WAL and the log never contain a token or host credential', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    server = await startTestServer({ logger: pino({ level: 'debug' }, sink) });
    const secrets: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await server.admin('/api/admin/registration-tokens', { json: { expires_in_hours: 4, max_uses: 10 } });
      const token = (await res.json()) as { token: string; id: string };
      secrets.push(token.token);
      const reg = await server.lan('/api/hosts/register', {
        json: registration(token.token),
        headers: { 'Idempotency-Key': `key-${i}-abcdefgh` },
      });
      const host = (await reg.json()) as { host_token: string; host_id: string };
      secrets.push(host.host_token);
      await server.admin(`/api/admin/hosts/${host.host_id}/approve`, { method: 'POST' });
      const rotated = await server.lan('/api/hosts/credentials/rotate', {
        method: 'POST',
        headers: { Authorization: `Bearer ${host.host_token}` },
      });
      secrets.push(((await rotated.json()) as { host_token: string }).host_token);
      await server.admin(`/api/admin/registration-tokens/${token.id}/reveal`, { method: 'POST' });
    }
    const dbPath = join(server.dir, 'gatehouse.db');
    expect(existsSync(`${dbPath}-wal`)).toBe(true);
    const stored = Buffer.concat([readFileSync(dbPath), readFileSync(`${dbPath}-wal`)]).toString('latin1');
    const log = lines.join('');
    expect(log).toContain('/api/hosts/register');
    for (const secret of secrets) {
      for (const form of forms(secret)) {
        expect(stored).not.toContain(form);
        expect(log).not.toContain(form);
      }
    }
    // And the admin's own bearer is not logged either.
    expect(log).not.toContain(server.adminToken);
  });
});
