import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createServer, request as httpRequest } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../../../src/main/core/cli/cli-client';
import { runGatehouse } from '../../../../src/main/core/cli/gatehouse';
import { generateCertificate, publicKeyFingerprint } from '../../../../src/main/core/security/tls-certificate';
import { registration, startTestServer, type TestServer } from '../../../helpers/gatehouse';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function gatehouse(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await runGatehouse(argv, {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    env,
  });
  return { code, stdout, stderr };
}

let server: TestServer;
let dataDir: string[];

async function credential(scope: string, name = `${scope}-${Math.random().toString(36).slice(2, 8)}`) {
  const res = await server.admin('/api/admin/credentials', { json: { name, scope } });
  expect(res.status).toBe(201);
  return ((await res.json()) as { credential: string }).credential;
}

async function pendingHost(): Promise<{ host_id: string; verification_code: string; hostname: string }> {
  const created = await gatehouse([...dataDir, 'tokens', 'create', '--max-uses', '5', '-o', 'json']);
  expect(created.code).toBe(0);
  const { token } = JSON.parse(created.stdout) as { token: string };
  const body = registration(token);
  const res = await server.lan('/api/hosts/register', { json: body });
  expect(res.status).toBe(201);
  return { ...((await res.json()) as { host_id: string; verification_code: string }), hostname: body.hostname };
}

beforeAll(async () => {
  server = await startTestServer();
  dataDir = ['--data-dir', server.dir];
});
afterAll(() => server.dispose());

describe('gatehouse command line', () => {
  it('prints help with the exit codes and exits 0', async () => {
    const run = await gatehouse(['--help']);
    expect(run.code).toBe(EXIT.ok);
    expect(run.stdout).toContain('Exit codes:');
    expect(run.stdout).toMatch(/3 {2}not signed in/);
    expect(run.stdout).toContain('queue');
  });

  it('exits 2 on a command line it cannot run, naming the problem', async () => {
    expect((await gatehouse([])).code).toBe(EXIT.usage);
    const unknown = await gatehouse(['hosts', 'frobnicate']);
    expect(unknown.code).toBe(EXIT.usage);
    expect(unknown.stderr).toContain('frobnicate');
    const missing = await gatehouse([...dataDir, 'hosts', 'approve']);
    expect(missing.code).toBe(EXIT.usage);
    expect(missing.stderr).toContain("missing required argument 'id'");
    const noServer = await gatehouse(['hosts', 'list']);
    expect(noServer.code).toBe(EXIT.usage);
    expect(noServer.stderr).toContain('--data-dir');
    const noPin = await gatehouse(['--server', 'https://127.0.0.1:1', 'hosts', 'list'], {
      GATEHOUSE_CREDENTIAL: 'gha_x',
    });
    expect(noPin.code).toBe(EXIT.usage);
    expect(noPin.stderr).toContain('--pin');
  });

  it('creates a token, shows the pending host with its verification code, approves it and lists it as JSON', async () => {
    const host = await pendingHost();
    const queue = await gatehouse([...dataDir, 'queue']);
    expect(queue.code).toBe(0);
    const line = queue.stdout.split('\n').find((l) => l.startsWith(host.host_id));
    expect(line).toContain(host.verification_code);
    expect(line).toContain(host.hostname);
    expect(queue.stdout.split('\n')[0]).toMatch(/^ID\s+HOSTNAME\s+CODE/);

    const approved = await gatehouse([...dataDir, 'hosts', 'approve', host.host_id]);
    expect(approved.code).toBe(0);
    expect(approved.stdout).toMatch(/status:\s+APPROVED/);

    const list = await gatehouse([...dataDir, 'hosts', 'list', '--status', 'APPROVED', '-o', 'json']);
    expect(list.code).toBe(0);
    const { hosts } = JSON.parse(list.stdout) as { hosts: { id: string; status: string }[] };
    expect(hosts).toContainEqual(expect.objectContaining({ id: host.host_id, status: 'APPROVED' }));
  });

  it('maps refusals to exit codes and prints the contract code and sentence on stderr', async () => {
    const host = await pendingHost();
    const bad = await gatehouse([...dataDir, 'hosts', 'list'], { GATEHOUSE_CREDENTIAL: 'gha_not-a-real-credential' });
    expect(bad.code).toBe(EXIT.unauthorized);
    expect(bad.stderr).toMatch(/^gatehouse: UNAUTHORIZED: \S.*/);
    expect(bad.stdout).toBe('');

    const readOnly = await credential('read-only');
    const forbidden = await gatehouse([...dataDir, 'hosts', 'approve', host.host_id], {
      GATEHOUSE_CREDENTIAL: readOnly,
    });
    expect(forbidden.code).toBe(EXIT.forbidden);
    expect(forbidden.stderr).toContain('FORBIDDEN');
    expect((await gatehouse([...dataDir, 'hosts', 'list'], { GATEHOUSE_CREDENTIAL: readOnly })).code).toBe(0);

    const missing = await gatehouse([...dataDir, 'hosts', 'show', '00000000-0000-4000-8000-000000000000']);
    expect(missing.code).toBe(EXIT.notFound);
    expect(missing.stderr).toContain('NOT_FOUND');

    const invalid = await gatehouse([...dataDir, 'tokens', 'create', '--expires-in-hours', '99999999', '-o', 'json']);
    expect(invalid.code).toBe(EXIT.refused);
    expect(JSON.parse(invalid.stderr)).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
    expect(JSON.parse(invalid.stderr).error.message).toContain('expires_in_hours');
  });

  it('exits 7 when the server in the data directory is not there', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-'));
    writeFileSync(join(dir, 'endpoint.json'), JSON.stringify({ admin_url: 'http://127.0.0.1:1' }));
    writeFileSync(join(dir, 'admin-token'), 'x'.repeat(40));
    const run = await gatehouse(['--data-dir', dir, 'hosts', 'list']);
    expect(run.code).toBe(EXIT.unavailable);
    expect(run.stderr).toContain('UNAVAILABLE');
    const none = await gatehouse(['--data-dir', join(dir, 'nowhere'), 'hosts', 'list']);
    expect(none.code).toBe(EXIT.unavailable);
  });

  it('lists credentials without their secrets and inventory in each format', async () => {
    const secret = await credential('approver', 'ci-approver');
    const list = await gatehouse([...dataDir, 'credentials', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain('ci-approver');
    expect(list.stdout).not.toContain(secret);
    const csv = await gatehouse([...dataDir, 'inventory', '--format', 'csv']);
    expect(csv.code).toBe(0);
    expect(csv.stdout.split('\n')[0]).toContain('hostname');
    const ansible = await gatehouse([...dataDir, 'inventory', '-o', 'json']);
    expect(JSON.parse(ansible.stdout)).toHaveProperty('_meta');
  });

  it('adds a webhook (secret shown once), sends a test event and shows its delivery log', async () => {
    const received: { signature: string | undefined; body: string }[] = [];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c));
      req.on('end', () => {
        received.push({ signature: req.headers['gatehouse-signature'] as string | undefined, body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`;
    try {
      const created = await gatehouse([
        ...dataDir,
        'webhooks',
        'create',
        '--url',
        url,
        '--events',
        'host.pending,alarm',
        '-o',
        'json',
      ]);
      expect(created.code).toBe(0);
      const hook = JSON.parse(created.stdout) as { id: string; secret: string };
      expect(hook.secret.length).toBeGreaterThan(20);
      const list = await gatehouse([...dataDir, 'webhooks', 'list']);
      expect(list.stdout).toContain(url);
      expect(list.stdout).not.toContain(hook.secret);
      expect((await gatehouse([...dataDir, 'webhooks', 'test', hook.id])).code).toBe(0);
      expect(received.at(-1)?.signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
      const log = await gatehouse([...dataDir, 'webhooks', 'deliveries', hook.id]);
      expect(log.stdout.split('\n')[0]).toMatch(/^EVENT\s+STATE/);
      expect(log.stdout).toContain('delivered');
      expect((await gatehouse([...dataDir, 'webhooks', 'delete', hook.id])).code).toBe(0);
    } finally {
      receiver.close();
    }
  });
});

describe('gatehouse --server with a pinned certificate', () => {
  let proxy: HttpsServer;
  let proxyUrl: string;
  let pin: string;
  let proxied = 0;

  beforeAll(async () => {
    const tls = await generateCertificate([{ type: 'ip', value: '127.0.0.1' }]);
    pin = publicKeyFingerprint(tls.cert);
    const admin = new URL(server.endpoint.admin_url);
    // An HTTPS front for the loopback admin listener, as team mode's --admin-bind serves it.
    proxy = createHttpsServer({ cert: tls.cert, key: tls.key }, (req, res) => {
      proxied++;
      const upstream = httpRequest(
        {
          host: admin.hostname,
          port: admin.port,
          path: req.url,
          method: req.method,
          headers: { ...req.headers, host: admin.host },
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const address = proxy.address() as { port: number };
    proxyUrl = `https://127.0.0.1:${address.port}`;
  });
  afterAll(() => new Promise<void>((resolve) => proxy.close(() => resolve())));

  it('talks to a server whose public key matches --pin, with the credential from GATEHOUSE_CREDENTIAL', async () => {
    const host = await pendingHost();
    const approver = await credential('approver', 'remote-approver');
    const run = await gatehouse(['--server', proxyUrl, '--pin', pin, 'hosts', 'approve', host.host_id, '-o', 'json'], {
      GATEHOUSE_CREDENTIAL: approver,
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      id: host.host_id,
      status: 'APPROVED',
      decided_by: 'remote-approver',
    });
  });

  it('refuses a server whose key does not match the pin before sending anything (exit 7)', async () => {
    const before = proxied;
    const wrong = Buffer.alloc(32, 7).toString('base64');
    const run = await gatehouse(['--server', proxyUrl, '--pin', wrong, 'hosts', 'list'], {
      GATEHOUSE_CREDENTIAL: await credential('admin'),
    });
    expect(run.code).toBe(EXIT.unavailable);
    expect(run.stderr).toContain('PIN_MISMATCH');
    expect(run.stderr).toContain(pin);
    expect(proxied).toBe(before);
  });

  it('needs GATEHOUSE_CREDENTIAL for --server (exit 3)', async () => {
    const run = await gatehouse(['--server', proxyUrl, '--pin', pin, 'hosts', 'list'], {});
    expect(run.code).toBe(EXIT.unauthorized);
    expect(run.stderr).toContain('GATEHOUSE_CREDENTIAL');
  });
});
