import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostFacts } from '../../src/shared/api/schemas';
import { APP_ROOT } from '../helpers/gatehouse';
import { startTestServer, type TestServer } from '../helpers/gatehouse';
import { removeDir } from '../helpers/serve-process';

const SCRIPT = join(APP_ROOT, 'resources', 'join.sh');
const MACHINES = join(APP_ROOT, 'tests', 'fixtures', 'machines');
const SHELLS = ['dash', 'busybox sh'];
const MACHINE_NAMES = ['dell-r650-uefi', 'whitebox-bios'];

/** What the fixture machine must report; whitebox-bios has no osrelease file, so uname -r stands in. */
function expectedFacts(machine: string): Record<string, unknown> {
  const facts = JSON.parse(readFileSync(join(MACHINES, machine, 'expected-facts.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  return { kernel: release(), ...facts };
}

/** join.sh under SHELL on fixture MACHINE: its sysfs, procfs, os-release and ipmitool. */
function joinOn(shell: string, machine: string, url: string, token: string) {
  const root = join(MACHINES, machine);
  const state = mkdtempSync(join(tmpdir(), 'gatehouse-facts-'));
  const [bin, ...pre] = shell.split(' ');
  const child = spawn(bin!, [...pre, SCRIPT, '--no-install'], {
    env: {
      ...process.env,
      PATH: `${join(root, 'bin')}:${process.env.PATH}`,
      GATEHOUSE_URL: url,
      GATEHOUSE_PIN: '',
      GATEHOUSE_TOKEN: token,
      GATEHOUSE_STATE_DIR: state,
      GATEHOUSE_MACHINE_ID: `facts-${machine}-${shell.replace(' ', '-')}`,
      GATEHOUSE_HOSTNAME: machine,
      GATEHOUSE_SYSFS_ROOT: join(root, 'sysfs'),
      GATEHOUSE_PROCFS_ROOT: join(root, 'procfs'),
      GATEHOUSE_OS_RELEASE: join(root, 'os-release'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c) => (output += c));
  child.stderr.on('data', (c) => (output += c));
  return new Promise<{ code: number | null; output: string; state: string }>((resolve) =>
    child.on('exit', (code) => {
      resolve({ code, output, state });
    }),
  );
}

/** A loopback stand-in for Gatehouse that keeps each register body and approves at once. */
async function captureServer() {
  const bodies: Record<string, unknown>[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      if (req.url === '/api/hosts/register') {
        bodies.push(JSON.parse(body) as Record<string, unknown>);
        res.writeHead(201, { 'Content-Type': 'application/json' });
        res.end('{"host_id": "h-1", "host_token": "ghh_x", "status": "APPROVED", "verification_code": "123456"}');
      } else if (req.url === '/api/hosts/me') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end('{"host_id": "h-1", "status": "APPROVED"}');
      } else {
        res.writeHead(204).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, bodies, close: () => server.close() };
}

let capture: Awaited<ReturnType<typeof captureServer>>;
beforeAll(async () => {
  capture = await captureServer();
});
afterAll(() => capture?.close());

describe.each(SHELLS)('hardware facts collected by join.sh under %s', (shell) => {
  // A server per shell: the same fixture's serial on one server would make a re-enrolment.
  let gatehouse: TestServer;
  beforeAll(async () => {
    gatehouse = await startTestServer();
  });
  afterAll(async () => {
    await gatehouse?.dispose();
  });

  it.each(MACHINE_NAMES)('sends the facts of %s in the register body', async (machine) => {
    const before = capture.bodies.length;
    const { code, output, state } = await joinOn(shell, machine, capture.url, 'GATE-AAAA');
    removeDir(state);
    expect(output).not.toContain('refused');
    expect(code).toBe(0);
    const body = capture.bodies[before]!;
    expect(body.facts).toEqual(expectedFacts(machine));
    expect(hostFacts.safeParse(body.facts).success).toBe(true);
  });

  it.each(MACHINE_NAMES)('has the facts of %s accepted and stored by the server', async (machine) => {
    const created = (await (
      await gatehouse.admin('/api/admin/registration-tokens', {
        json: { expires_in_hours: 1, max_uses: 1, auto_approve: true },
      })
    ).json()) as { token: string };
    const { code, output, state } = await joinOn(shell, machine, gatehouse.endpoint.lan_url, created.token);
    const { host_id: hostId } = JSON.parse(readFileSync(join(state, 'state.json'), 'utf8')) as { host_id: string };
    removeDir(state);
    expect(output).not.toContain('refused the hardware facts');
    expect(code).toBe(0);
    const host = (await (await gatehouse.admin(`/api/admin/hosts/${hostId}`)).json()) as { facts?: unknown };
    expect(host.facts).toEqual(expectedFacts(machine));
  });
});
