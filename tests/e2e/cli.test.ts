import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_ROOT } from '../helpers/gatehouse';
import { removeDir, startServeProcess, type ServeProcess } from '../helpers/serve-process';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv = {}, input?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      file,
      args,
      { cwd: APP_ROOT, env: { ...process.env, GATEHOUSE_CREDENTIAL: '', ...env } },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
    if (input !== undefined) child.stdin!.end(input);
  });
}

/** `gatehouse …` through the package's bin launcher, as `npx gatehouse` runs it. */
const gatehouse = (args: string[], env?: NodeJS.ProcessEnv) =>
  run(process.execPath, [join(APP_ROOT, 'bin', 'gatehouse.mjs'), ...args], env);

let serve: ServeProcess;
let dataDir: string[];

beforeAll(async () => {
  serve = await startServeProcess();
  dataDir = ['--data-dir', serve.dir];
}, 120_000);
afterAll(async () => {
  await serve.stop();
  removeDir(serve.dir);
});

describe('gatehouse against npm run serve', () => {
  it('creates a token, a host registers with curl over the pinned LAN listener, the CLI approves it and lists it as JSON', async () => {
    const created = await gatehouse([...dataDir, 'tokens', 'create', '--description', 'rack 4', '-o', 'json']);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const { token, id: tokenId } = JSON.parse(created.stdout) as { token: string; id: string };
    expect(token).toMatch(/^GATE-/);

    const pin = serve.endpoint.tls_fingerprint!;
    const body = JSON.stringify({
      token,
      hostname: 'rack4-node1',
      machine_id: 'e2e-cli-machine-0001',
      os: 'Debian 12',
    });
    const curl = await run(
      'curl',
      [
        '-sS',
        '--fail-with-body',
        '-k',
        '--pinnedpubkey',
        `sha256//${pin}`,
        '-H',
        'Content-Type: application/json',
        '--data-binary',
        '@-',
        `${serve.endpoint.lan_url}/api/hosts/register`,
      ],
      {},
      body,
    );
    expect(curl.code).toBe(0);
    const registered = JSON.parse(curl.stdout) as { host_id: string; verification_code: string; status: string };
    expect(registered.status).toBe('PENDING');

    const queue = await gatehouse([...dataDir, 'queue']);
    expect(queue.code).toBe(0);
    expect(queue.stdout).toMatch(new RegExp(`${registered.host_id}\\s+rack4-node1\\s+${registered.verification_code}`));

    const approved = await gatehouse([...dataDir, 'hosts', 'approve', registered.host_id]);
    expect(approved.code).toBe(0);
    expect(approved.stdout).toMatch(/status:\s+APPROVED/);

    const list = await gatehouse([...dataDir, 'hosts', 'list', '-o', 'json']);
    expect(list.code).toBe(0);
    const { hosts } = JSON.parse(list.stdout) as { hosts: { id: string; status: string; token_id: string }[] };
    expect(hosts).toEqual([expect.objectContaining({ id: registered.host_id, status: 'APPROVED', token_id: tokenId })]);

    const audit = await gatehouse([...dataDir, 'audit', '--limit', '5']);
    expect(audit.stdout).toMatch(/admin\s+host\.approved/);
  }, 120_000);

  it('exits 3 with UNAUTHORIZED for a bad credential, and 4 with FORBIDDEN when a read-only credential tries to approve', async () => {
    const bad = await gatehouse([...dataDir, 'hosts', 'list'], { GATEHOUSE_CREDENTIAL: 'gha_wrong' });
    expect(bad.code).toBe(3);
    expect(bad.stderr).toMatch(/UNAUTHORIZED: /);

    const made = await gatehouse([
      ...dataDir,
      'credentials',
      'create',
      '--name',
      'dashboards',
      '--scope',
      'read-only',
      '-o',
      'json',
    ]);
    expect(made.code).toBe(0);
    const { credential } = JSON.parse(made.stdout) as { credential: string };
    expect(credential).toMatch(/^gha_/);

    const list = await gatehouse([...dataDir, 'hosts', 'list', '-o', 'json'], { GATEHOUSE_CREDENTIAL: credential });
    expect(list.code).toBe(0);
    const [host] = (JSON.parse(list.stdout) as { hosts: { id: string }[] }).hosts;
    const approve = await gatehouse([...dataDir, 'hosts', 'approve', host!.id], { GATEHOUSE_CREDENTIAL: credential });
    expect(approve.code).toBe(4);
    expect(approve.stderr).toContain('FORBIDDEN');
    expect(approve.stderr).toContain('dashboards');
  }, 120_000);

  it('prints usage with the exit codes for --help', async () => {
    const help = await gatehouse(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Exit codes:');
    expect((await gatehouse(['nonsense'])).code).toBe(2);
  }, 60_000);
});
