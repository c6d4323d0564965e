import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/gatehouse';
import { freePort } from '../helpers/free-port';

async function waitForPort(port: number) {
  for (let i = 0; i < 200; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (up) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`SMTP server did not open port ${port}`);
}

/** The parts of a stored message, split by Python's own email package (not by our code). */
function parts(file: string, outDir: string): { subject: string; to: string; text: string; png: string } {
  const script = `
import email, email.policy, json, sys
m = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=email.policy.default)
out = {'subject': m['subject'], 'to': m['to'], 'text': '', 'png': ''}
for p in m.walk():
    if p.get_content_type() == 'text/plain' and not out['text']:
        out['text'] = p.get_content()
    if p.get_content_type() == 'image/png':
        path = sys.argv[2] + '/qr.png'
        open(path, 'wb').write(p.get_payload(decode=True))
        out['png'] = path
print(json.dumps(out))
`;
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', script, file, outDir], { encoding: 'utf8' })) as {
    subject: string;
    to: string;
    text: string;
    png: string;
  };
}

describe('join instructions by email through a real SMTP server', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-mail-'));
  const maildir = join(dir, 'maildir');
  let smtp: ChildProcess;
  let port: number;
  let server: TestServer;

  beforeAll(async () => {
    port = await freePort();
    smtp = spawn(
      '/usr/bin/python3',
      ['-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${port}`, '-c', 'aiosmtpd.handlers.Mailbox', maildir],
      {
        stdio: 'ignore',
      },
    );
    await waitForPort(port);
    server = await startTestServer();
  }, 30_000);
  afterAll(async () => {
    await server?.dispose();
    smtp?.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  const post = async (path: string, json: unknown) => {
    const res = await server.admin(path, { json });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('saves the SMTP settings with the password sealed and never shown again', async () => {
    const saved = await post('/api/admin/mail-settings', {
      host: '127.0.0.1',
      port,
      security: 'none',
      user: 'gatehouse',
      password: 'smtp-password-do-not-show',
      from: 'gatehouse@example.test',
    });
    expect(saved.status).toBe(200);
    expect(saved.body).toEqual({
      configured: true,
      host: '127.0.0.1',
      port,
      security: 'none',
      user: 'gatehouse',
      from: 'gatehouse@example.test',
      password_set: true,
    });
    const read = await server.admin('/api/admin/mail-settings');
    expect(await read.text()).not.toContain('smtp-password-do-not-show');
    const bad = await post('/api/admin/mail-settings', {
      host: '127.0.0.1',
      port: 70_000,
      security: 'none',
      from: 'x@y.z',
    });
    expect(bad.status).toBe(400);
    expect((bad.body.error as { message: string }).message).toContain('port');
    // This local relay takes no login: keep the settings without one for the sends below.
    const noAuth = await post('/api/admin/mail-settings', {
      host: '127.0.0.1',
      port,
      security: 'none',
      password: '',
      from: 'gatehouse@example.test',
    });
    expect(noAuth.body).toMatchObject({ user: null, password_set: false });
  });

  it('mails the join command and a QR image of it that decodes to exactly that command', async () => {
    const token = (
      await post('/api/admin/registration-tokens', { expires_in_hours: 4, max_uses: 1, description: 'rack b12 node 7' })
    ).body as { id: string; token: string; join_command: string };
    const started = performance.now();
    const sent = await post(`/api/admin/registration-tokens/${token.id}/send`, { to: 'tech@example.test' });
    const ms = performance.now() - started;
    expect(sent.status).toBe(200);
    expect(sent.body).toEqual({ via: 'email', to: 'tech@example.test', delivered: true, error: null });

    const files = readdirSync(join(maildir, 'new'));
    expect(files).toHaveLength(1);
    const message = parts(join(maildir, 'new', files[0]!), dir);
    expect(message.to).toBe('tech@example.test');
    expect(message.subject).toContain('rack b12 node 7');
    expect(message.text).toContain(token.join_command);
    const decoded = execFileSync('zbarimg', ['--raw', '-q', message.png], { encoding: 'utf8' }).replace(/\n$/, '');
    expect(decoded).toBe(token.join_command);
    console.log(`tokens.send by email: ${ms.toFixed(0)} ms to the SMTP server's acceptance; QR decoded by zbarimg`);

    const audit = (await (await server.admin('/api/admin/audit?action=token.sent')).json()) as {
      entries: { detail: Record<string, unknown> }[];
    };
    expect(audit.entries).toHaveLength(1);
    expect(audit.entries[0]!.detail).toMatchObject({ via: 'email', to: 'tech@example.test', delivered: true });
    expect(JSON.stringify(audit.entries)).not.toContain(token.token);
  });

  it('answers delivered: false with the reason when the SMTP server is gone', async () => {
    const closed = await freePort();
    await post('/api/admin/mail-settings', {
      host: '127.0.0.1',
      port: closed,
      security: 'none',
      from: 'g@example.test',
    });
    const token = (await post('/api/admin/registration-tokens', { expires_in_hours: 1, max_uses: 1 })).body as {
      id: string;
    };
    const sent = await post(`/api/admin/registration-tokens/${token.id}/send`, { to: 'tech@example.test' });
    expect(sent.status).toBe(200);
    expect(sent.body).toMatchObject({ via: 'email', delivered: false });
    expect(String(sent.body.error)).toMatch(/ECONNREFUSED|connect/i);
  });

  it('refuses a recipient that is neither an email address nor a webhook id, naming the field', async () => {
    const token = (await post('/api/admin/registration-tokens', { expires_in_hours: 1, max_uses: 1 })).body as {
      id: string;
    };
    const res = await post(`/api/admin/registration-tokens/${token.id}/send`, { to: 'not an address' });
    expect(res.status).toBe(400);
    expect((res.body.error as { code: string; message: string }).message).toContain('to');
  });
});
