import { spawn, spawnSync } from 'node:child_process';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { joinRoutes } from '../../src/main/core/http/lan/join-routes';
import { APP_ROOT } from '../helpers/gatehouse';
import { removeDir, startServeProcess, type ServeProcess } from '../helpers/serve-process';

let serve: ServeProcess;
/** join.sh as the server serves it (URL and pin filled in), saved to a file. */
let servedScript: string;
beforeAll(async () => {
  serve = await startServeProcess();
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-script-'));
  servedScript = join(dir, 'join.sh');
  const fetched = await run(
    `curl -fsS --pinnedpubkey 'sha256//${serve.endpoint.tls_fingerprint}' -k '${serve.endpoint.lan_url}/join.sh'`,
    {},
  ).done;
  writeFileSync(servedScript, fetched.output);
}, 120_000);
afterAll(async () => {
  expect(await serve.stop()).toBe(0);
  removeDir(serve.dir);
});

interface Run {
  pid: number;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>;
  output: () => string;
  write: (text: string) => void;
  end: () => void;
}

/** Runs a command line with /bin/sh (dash on Debian); the shell under test is named inside it. */
function run(script: string, env: Record<string, string>): Run {
  return start('/bin/sh', ['-c', script], env);
}

/** Runs the served join.sh directly under SHELL ('dash' or 'busybox sh'), so its pid is the script's. */
function runScript(shell: string, args: string[], env: Record<string, string>, script = servedScript): Run {
  const [bin, ...pre] = shell.split(' ');
  return start(bin!, [...pre, script, ...args], env);
}

function start(bin: string, args: string[], env: Record<string, string>): Run {
  const child = spawn(bin, args, { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (c) => (output += c));
  child.stderr.on('data', (c) => (output += c));
  return {
    pid: child.pid!,
    output: () => output,
    write: (text) => child.stdin.write(text),
    end: () => child.stdin.end(),
    done: new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, output }))),
  };
}

/** A temporary directory, removed after the test (whatever it asserted). */
function scratch(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `gatehouse-${name}-`));
  cleanups.push(() => removeDir(dir));
  return dir;
}
const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((c) => c()));

const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}
type Answer = { status: number; headers?: Record<string, string>; body?: string };

/** A stand-in Gatehouse on loopback (plain HTTP) that records every request and answers as told. */
async function fakeGatehouse(answer: (req: Seen, seen: Seen[]) => Answer) {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const request = { method: req.method!, url: req.url!, headers: req.headers, body };
      seen.push(request);
      const reply = answer(request, seen);
      res.writeHead(reply.status, { 'Content-Type': 'application/json', ...reply.headers });
      res.end(reply.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => server.close());
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const calls = (seen: Seen[], url: string) => seen.filter((r) => r.url === url);
const registered = (status = 'APPROVED') =>
  JSON.stringify({ host_id: 'h-1', host_token: 'ghh_fakecredential', status, verification_code: '123456' });

/** Answers like a Gatehouse that approves: register, then /me APPROVED, heartbeats accepted. */
function approving(req: Seen): Answer {
  if (req.url === '/api/hosts/register') return { status: 201, body: registered() };
  if (req.url === '/api/hosts/me') return { status: 200, body: '{"host_id": "h-1", "status": "APPROVED"}' };
  if (req.url === '/api/hosts/heartbeat') return { status: 204 };
  return { status: 404, body: '{"error": {"code": "NOT_FOUND", "message": "no"}}' };
}

/** Environment that points join.sh at a fake Gatehouse over plain HTTP. */
const fakeEnv = (url: string, state: string) => ({
  GATEHOUSE_URL: url,
  GATEHOUSE_PIN: '',
  GATEHOUSE_STATE_DIR: state,
  GATEHOUSE_MACHINE_ID: 'fake-machine-0001',
  GATEHOUSE_HOSTNAME: 'fake-host',
});

async function createToken(json: Record<string, unknown> = {}) {
  const res = await serve.admin('/api/admin/registration-tokens', {
    json: { expires_in_hours: 1, max_uses: 5, ...json },
  });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; token: string; join_command: string };
}

async function waitFor<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const pendingHost = (machineId: string) =>
  waitFor(async () => {
    const { hosts } = (await (await serve.admin('/api/admin/hosts?status=PENDING')).json()) as {
      hosts: { id: string; machine_id: string; verification_code: string }[];
    };
    return hosts.find((h) => h.machine_id === machineId);
  }, `a pending request from ${machineId}`);

/** The copy-paste join command with the shell under test and options for join.sh. */
function joinWith(shell: string, joinCommand: string, options = '--no-install'): string {
  expect(joinCommand).toMatch(/ \| GATEHOUSE_TOKEN='[^']+' sh$/);
  return `${joinCommand.slice(0, -' sh'.length)} ${shell} -s -- ${options}`;
}

describe.each(['dash', 'busybox sh'])('join.sh under %s against npm run serve over TLS', (shell) => {
  it('registers, says it waits and how to resume, finishes once approved, heartbeats and shows ONLINE', async () => {
    const state = mkdtempSync(join(tmpdir(), 'gatehouse-state-'));
    const machineId = `e2e-${shell.replace(' ', '-')}-approve`;
    const token = await createToken({ labels: ['rack=e2e'] });
    expect(token.join_command).toContain('--pinnedpubkey');
    const joining = run(joinWith(shell, token.join_command), {
      GATEHOUSE_STATE_DIR: state,
      GATEHOUSE_MACHINE_ID: machineId,
      GATEHOUSE_POLL_MAX_SECONDS: '1',
    });
    const host = await pendingHost(machineId);
    await waitFor(async () => (joining.output().includes('Verification code') ? true : undefined), 'the code');
    const code = host.verification_code;
    expect(joining.output()).toContain(`Verification code: ${code.slice(0, 3)} ${code.slice(3)}`);
    await waitFor(async () => (joining.output().includes('waiting for the admin') ? true : undefined), 'waiting');
    expect(joining.output()).toContain('run the same command again to go on waiting');
    expect((await serve.admin(`/api/admin/hosts/${host.id}/approve`, { method: 'POST' })).status).toBe(200);
    const { code: exit, output } = await joining.done;
    expect(output).toContain('enrolled');
    expect(exit).toBe(0);

    const stateFile = join(state, 'state.json');
    expect(readdirSync(state)).toEqual(['state.json']);
    expect(statSync(stateFile).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(readFileSync(stateFile, 'utf8')) as Record<string, string>;
    expect(saved).toMatchObject({
      lan_url: serve.endpoint.lan_url,
      host_id: host.id,
      pin: serve.endpoint.tls_fingerprint,
    });

    // The installed heartbeat runs the same script with --heartbeat-once from the saved state.
    const script = join(state, 'join.sh');
    const fetchScript = `curl -fsSk --pinnedpubkey 'sha256//${serve.endpoint.tls_fingerprint}' '${serve.endpoint.lan_url}/join.sh'`;
    writeFileSync(script, await (await run(fetchScript, {}).done).output);
    const beat = await run(`${shell} ${script} --heartbeat-once`, { GATEHOUSE_STATE_DIR: state }).done;
    expect(beat.code).toBe(0);
    const after = (await (await serve.admin(`/api/admin/hosts/${host.id}`)).json()) as Record<string, unknown>;
    expect(after).toMatchObject({ status: 'APPROVED', connectivity: 'ONLINE', labels: ['rack=e2e'] });

    const rotate = await run(`${shell} ${script} --rotate`, { GATEHOUSE_STATE_DIR: state }).done;
    expect(rotate.code).toBe(0);
    const rotated = JSON.parse(readFileSync(stateFile, 'utf8')) as Record<string, string>;
    expect(rotated.host_token).not.toBe(saved.host_token);
    const old = await fetch(`${serve.endpoint.lan_url}/api/health`).catch(() => null);
    expect(old).toBeNull(); // plain fetch refuses the self-signed certificate: only pinned clients talk
    removeDir(state);
  }, 60_000);

  it('exits non-zero saying the host was rejected, and why', async () => {
    const state = mkdtempSync(join(tmpdir(), 'gatehouse-state-'));
    const machineId = `e2e-${shell.replace(' ', '-')}-reject`;
    const token = await createToken();
    const joining = run(joinWith(shell, token.join_command), {
      GATEHOUSE_STATE_DIR: state,
      GATEHOUSE_MACHINE_ID: machineId,
      GATEHOUSE_POLL_MAX_SECONDS: '1',
    });
    const host = await pendingHost(machineId);
    await serve.admin(`/api/admin/hosts/${host.id}/reject`, { json: { reason: 'not in the rack plan' } });
    const { code, output } = await joining.done;
    expect(code).toBe(3);
    expect(output).toContain('the admin rejected this host: not in the rack plan');
    removeDir(state);
  }, 60_000);
});

describe('heartbeat installation', () => {
  it('installs a 30 s systemd timer whose sandboxed service sends a heartbeat', async () => {
    const state = mkdtempSync(join(tmpdir(), 'gatehouse-state-'));
    const fakeRoot = mkdtempSync(join(tmpdir(), 'gatehouse-root-'));
    // systemd cannot run here: a stand-in systemctl on PATH records what it is asked.
    const bin = join(fakeRoot, 'bin');
    const units = join(fakeRoot, 'units');
    const runDir = join(fakeRoot, 'run-systemd');
    for (const d of [bin, units, runDir]) mkdirSync(d);
    writeFileSync(join(bin, 'systemctl'), `#!/bin/sh\necho "$@" >> ${fakeRoot}/systemctl.log\n`, { mode: 0o755 });
    const token = await createToken({ auto_approve: true });
    const { code, output } = await run(joinWith('dash', token.join_command, ''), {
      GATEHOUSE_STATE_DIR: state,
      GATEHOUSE_MACHINE_ID: 'e2e-systemd-install',
      GATEHOUSE_SYSTEMD_RUN_DIR: runDir,
      GATEHOUSE_UNIT_DIR: units,
      PATH: `${bin}:${process.env.PATH}`,
    }).done;
    expect(output).toContain('heartbeat installed as systemd timer');
    expect(code).toBe(0);
    expect(readFileSync(join(fakeRoot, 'systemctl.log'), 'utf8')).toBe(
      'daemon-reload\nenable --now gatehouse-heartbeat.timer\n',
    );
    expect(readFileSync(join(units, 'gatehouse-heartbeat.timer'), 'utf8')).toMatch(/OnUnitActiveSec=30/);
    const service = readFileSync(join(units, 'gatehouse-heartbeat.service'), 'utf8');
    for (const line of [
      'NoNewPrivileges=yes',
      'ProtectSystem=strict',
      `ReadWritePaths=${state}`,
      'PrivateTmp=yes',
      'PrivateDevices=yes',
      'CapabilityBoundingSet=',
      'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX',
    ]) {
      expect(service.split('\n')).toContain(line);
    }
    expect(service).toMatch(/^ProtectHome=(yes|read-only)$/m);
    const execStart = /^ExecStart=(.*)$/m.exec(service)![1]!;
    expect(execStart).toBe(`/bin/sh ${state}/join.sh --heartbeat-once`);
    for (const file of readdirSync(state)) expect(statSync(join(state, file)).mode & 0o777).toBe(0o600);

    // What the timer runs, run by hand: a heartbeat from the installed copy and the saved state.
    const saved = JSON.parse(readFileSync(join(state, 'state.json'), 'utf8')) as { host_id: string };
    expect((await run(execStart, { GATEHOUSE_STATE_DIR: state }).done).code).toBe(0);
    const host = (await (await serve.admin(`/api/admin/hosts/${saved.host_id}`)).json()) as { connectivity: string };
    expect(host.connectivity).toBe('ONLINE');
    removeDir(state);
    removeDir(fakeRoot);
  }, 60_000);

  it('falls back to cron entries that beat every 30 s where there is no systemd', async () => {
    const state = mkdtempSync(join(tmpdir(), 'gatehouse-state-'));
    const cron = mkdtempSync(join(tmpdir(), 'gatehouse-cron-'));
    const token = await createToken({ auto_approve: true });
    const { code } = await run(joinWith('dash', token.join_command, ''), {
      GATEHOUSE_STATE_DIR: state,
      GATEHOUSE_MACHINE_ID: 'e2e-cron-install',
      GATEHOUSE_SYSTEMD_RUN_DIR: join(cron, 'no-systemd-here'),
      GATEHOUSE_CRON_DIR: cron,
    }).done;
    expect(code).toBe(0);
    // cron fires each minute; the second entry beats 30 s later, inside the 90 s offline threshold.
    const beat = `GATEHOUSE_STATE_DIR='${state}' /bin/sh '${state}/join.sh' --heartbeat-once >/dev/null 2>&1`;
    expect(readFileSync(join(cron, 'gatehouse-heartbeat'), 'utf8')).toBe(
      `* * * * * root ${beat}\n* * * * * root sleep 30; ${beat}\n`,
    );
    removeDir(state);
    removeDir(cron);
  }, 60_000);
});

describe('the pinned key', () => {
  it('makes curl refuse a listener whose key differs from the pin', async () => {
    const wrongPin = Buffer.alloc(32, 7).toString('base64');
    const fetchScript = `curl -fsSk --pinnedpubkey 'sha256//${wrongPin}' '${serve.endpoint.lan_url}/join.sh'`;
    const { code } = await run(fetchScript, {}).done;
    expect(code).not.toBe(0);
  });

  it('refuses a used-up token with the contract message, exiting non-zero', async () => {
    const token = await createToken({ max_uses: 1 });
    await serve.admin(`/api/admin/registration-tokens/${token.id}/revoke`, { method: 'POST' });
    const state = mkdtempSync(join(tmpdir(), 'gatehouse-state-'));
    const { code, output } = await run(joinWith('dash', token.join_command), {
      GATEHOUSE_STATE_DIR: state,
      GATEHOUSE_MACHINE_ID: 'e2e-revoked-token',
    }).done;
    expect(code).toBe(1);
    expect(output).toContain('TOKEN_REVOKED');
    removeDir(state);
  }, 30_000);
});

/** Every process's command line, as the kernel shows it to anyone on the host. */
function commandLines(): string[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      } catch {
        return ''; // the process ended meanwhile
      }
    });
}

describe.each(['dash', 'busybox sh'])('secrets under %s', (shell) => {
  it('keeps the token and the host credential off every command line while waiting for approval', async () => {
    const state = scratch('state');
    const machineId = `e2e-${shell.replace(' ', '-')}-argv`;
    const token = await createToken();
    // Typed into a shell, as the admin pastes it: the command line itself is no process's argv.
    const joining = start('/bin/sh', ['-s'], {
      GATEHOUSE_STATE_DIR: state,
      GATEHOUSE_MACHINE_ID: machineId,
      GATEHOUSE_POLL_SECONDS: '1',
    });
    joining.write(`${joinWith(shell, token.join_command)}\n`);
    joining.end();
    const host = await pendingHost(machineId);
    await waitFor(async () => (joining.output().includes('waiting for the admin') ? true : undefined), 'waiting');
    const credential = readJson(join(state, 'pending.json')).host_token!;
    // Several looks across poll rounds, while curl and sleep come and go.
    for (let look = 0; look < 8; look++) {
      const lines = commandLines();
      expect(lines.some((line) => line.includes('--no-install'))).toBe(true); // the script itself is seen
      expect(lines.filter((line) => line.includes(token.token) || line.includes(credential))).toEqual([]);
      await new Promise((r) => setTimeout(r, 300));
    }
    await serve.admin(`/api/admin/hosts/${host.id}/reject`, { json: {} });
    expect((await joining.done).code).toBe(3);
  }, 60_000);
});

async function tokenUses(id: string): Promise<number> {
  const token = (await (await serve.admin(`/api/admin/registration-tokens/${id}`)).json()) as { use_count: number };
  return token.use_count;
}

async function hostView(id: string) {
  return (await (await serve.admin(`/api/admin/hosts/${id}`)).json()) as {
    status: string;
    connectivity: string;
    replaces: string | null;
  };
}

/** Enrols a machine with an auto-approve token; returns its state directory and saved state. */
async function enrolled(machineId: string) {
  const state = scratch('state');
  const token = await createToken({ auto_approve: true });
  const first = await runScript('dash', ['--no-install'], {
    GATEHOUSE_TOKEN: token.token,
    GATEHOUSE_STATE_DIR: state,
    GATEHOUSE_MACHINE_ID: machineId,
  }).done;
  expect(first.code).toBe(0);
  return { state, token, saved: readFileSync(join(state, 'state.json'), 'utf8') };
}

describe('re-running join.sh (as config management does on every pass)', () => {
  it('changes nothing on a host whose credential works, says so and exits 0', async () => {
    const { state, token, saved } = await enrolled('e2e-rerun-noop');
    const again = await runScript('dash', ['--no-install'], {
      GATEHOUSE_TOKEN: token.token,
      GATEHOUSE_STATE_DIR: state,
      GATEHOUSE_MACHINE_ID: 'e2e-rerun-noop',
    }).done;
    expect(again.code).toBe(0);
    expect(again.output).toContain('already enrolled');
    expect(again.output).toContain('nothing changed');
    expect(readFileSync(join(state, 'state.json'), 'utf8')).toBe(saved);
    expect(await tokenUses(token.id)).toBe(1);
  }, 60_000);

  it('goes on waiting with the stored request instead of registering again', async () => {
    const state = scratch('state');
    const token = await createToken();
    const env = { GATEHOUSE_TOKEN: token.token, GATEHOUSE_STATE_DIR: state, GATEHOUSE_MACHINE_ID: 'e2e-rerun-wait' };
    const first = runScript('dash', ['--no-install'], { ...env, GATEHOUSE_POLL_SECONDS: '1' });
    const host = await pendingHost('e2e-rerun-wait');
    await waitFor(async () => (first.output().includes('waiting for the admin') ? true : undefined), 'waiting');
    process.kill(first.pid, 'SIGTERM');
    await first.done;

    const again = runScript('dash', ['--no-install'], { ...env, GATEHOUSE_POLL_SECONDS: '1' });
    await waitFor(async () => (again.output().includes('still waiting') ? true : undefined), 'resuming');
    await serve.admin(`/api/admin/hosts/${host.id}/approve`, { method: 'POST' });
    const { code } = await again.done;
    expect(code).toBe(0);
    expect(readJson(join(state, 'state.json')).host_id).toBe(host.id);
    expect(await tokenUses(token.id)).toBe(1);
  }, 60_000);

  it('registers anew when the server refuses the stored credential', async () => {
    const { state } = await enrolled('e2e-rerun-deleted');
    const oldId = readJson(join(state, 'state.json')).host_id!;
    expect((await serve.admin(`/api/admin/hosts/${oldId}`, { method: 'DELETE' })).status).toBeLessThan(300);
    const token = await createToken({ auto_approve: true });
    const again = await runScript('dash', ['--no-install'], {
      GATEHOUSE_TOKEN: token.token,
      GATEHOUSE_STATE_DIR: state,
      GATEHOUSE_MACHINE_ID: 'e2e-rerun-deleted',
    }).done;
    expect(again.output).toContain('no longer works');
    expect(again.code).toBe(0);
    expect(readJson(join(state, 'state.json')).host_id).not.toBe(oldId);
  }, 60_000);
});

describe('re-enrolment with --reenrol', () => {
  async function reenrolling(machineId: string) {
    const { state, saved } = await enrolled(machineId);
    const oldId = readJson(join(state, 'state.json')).host_id!;
    const token = await createToken({ auto_approve: true });
    const joining = runScript('dash', ['--no-install', '--reenrol'], {
      GATEHOUSE_TOKEN: token.token,
      GATEHOUSE_STATE_DIR: state,
      GATEHOUSE_MACHINE_ID: machineId,
      GATEHOUSE_POLL_SECONDS: '1',
    });
    const request = await pendingHost(machineId);
    await waitFor(async () => (joining.output().includes('waiting for the admin') ? true : undefined), 'waiting');
    return { state, saved, oldId, joining, request };
  }

  it('keeps the working state untouched and the new request apart until it is approved', async () => {
    const { state, saved, oldId, joining, request } = await reenrolling('e2e-reenrol-approve');
    expect((await hostView(request.id)).replaces).toBe(oldId);
    expect(readFileSync(join(state, 'state.json'), 'utf8')).toBe(saved);
    expect(statSync(join(state, 'pending.json')).mode & 0o777).toBe(0o600);
    expect(readJson(join(state, 'pending.json')).host_id).toBe(request.id);

    await serve.admin(`/api/admin/hosts/${request.id}/approve`, { method: 'POST' });
    expect((await joining.done).code).toBe(0);
    expect(readJson(join(state, 'state.json')).host_id).toBe(request.id);
    expect(readdirSync(state)).toEqual(['state.json']);
  }, 60_000);

  it('a rejected re-enrolment leaves the host enrolled, heartbeating and ONLINE', async () => {
    const { state, saved, oldId, joining, request } = await reenrolling('e2e-reenrol-reject');
    await serve.admin(`/api/admin/hosts/${request.id}/reject`, { json: { reason: 'not planned' } });
    const { code, output } = await joining.done;
    expect(code).toBe(3);
    expect(output).toContain(`the admin rejected the re-enrolment: not planned; this host stays enrolled as ${oldId}`);
    expect(readFileSync(join(state, 'state.json'), 'utf8')).toBe(saved);
    expect(readdirSync(state)).toEqual(['state.json']);

    expect((await runScript('dash', ['--heartbeat-once'], { GATEHOUSE_STATE_DIR: state }).done).code).toBe(0);
    expect(await hostView(oldId)).toMatchObject({ status: 'APPROVED', connectivity: 'ONLINE' });
  }, 60_000);
});

describe.each(['SIGINT', 'SIGTERM'] as const)('%s while join.sh waits', (signal) => {
  it('exits at once and leaves no work directory behind', async () => {
    const work = scratch('tmp');
    const token = await createToken();
    const machineId = `e2e-signal-${signal.toLowerCase()}`;
    const joining = runScript('dash', ['--no-install'], {
      GATEHOUSE_TOKEN: token.token,
      GATEHOUSE_STATE_DIR: scratch('state'),
      GATEHOUSE_MACHINE_ID: machineId,
      TMPDIR: work,
    });
    await pendingHost(machineId);
    await waitFor(async () => (joining.output().includes('waiting for the admin') ? true : undefined), 'waiting');
    expect(readdirSync(work)).toHaveLength(1);
    process.kill(joining.pid, signal);
    const { code } = await joining.done;
    expect(code).toBe(signal === 'SIGINT' ? 130 : 143);
    expect(readdirSync(work)).toEqual([]);
  }, 60_000);
});

describe('the served script', () => {
  it('runs nothing when the download is cut short anywhere before its last line', async () => {
    const fake = await fakeGatehouse(approving);
    const text = readFileSync(servedScript, 'utf8');
    const lastLine = text.lastIndexOf('\nmain "$@"');
    expect(lastLine).toBeGreaterThan(0);
    const cuts = new Set<number>();
    for (let at = text.indexOf('\n'); at !== -1 && at < lastLine; at = text.indexOf('\n', at + 1)) {
      cuts.add(at + 1); // at a line end
      cuts.add(at - 3); // inside a line
    }
    const work = scratch('tmp');
    const state = join(scratch('root'), 'state');
    for (const cut of cuts) {
      // dash stops reading at the syntax error, so writing the rest may meet a closed pipe.
      const result = spawnSync('dash', ['-s', '--no-install'], {
        input: text.slice(0, cut),
        env: { ...process.env, ...fakeEnv(fake.url, state), GATEHOUSE_TOKEN: 'GATE-AAAA', TMPDIR: work },
      });
      expect(result.error?.message ?? 'EPIPE').toContain('EPIPE');
    }
    console.log(`join.sh cut at ${cuts.size} places: no request, no state, no work directory`);
    expect(fake.seen).toEqual([]);
    expect(existsSync(state)).toBe(false);
    expect(readdirSync(work)).toEqual([]);
  }, 120_000);

  it.each(['dash', 'busybox sh'])(
    "keeps an advertised URL with quotes, $( ) and $' as one word and runs none of it under %s",
    async (shell) => {
      const dir = scratch('evil');
      const lanUrl = `http://127.0.0.1:9/a'$(touch ${dir}/m1)'$'\`touch ${dir}/m2\`$&"$(touch ${dir}/m3)"`;
      const tlsFingerprint = `x'$(touch ${dir}/m4)'$'`;
      const read = (name: string) => readFileSync(join(APP_ROOT, 'resources', name), 'utf8');
      const app = express().use(
        joinRoutes(() => ({ lanUrl, tlsFingerprint }), {
          script: read('join.sh'),
          page: read('join.html'),
          pageScript: read('join.js'),
        }),
      );
      const server = app.listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      cleanups.push(() => server.close());
      const served = await (await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/join.sh`)).text();
      const script = join(dir, 'join.sh');
      writeFileSync(script, served);
      expect(spawnSync(shell.split(' ')[0]!, [...shell.split(' ').slice(1), '-n', script]).status).toBe(0);

      const { code, output } = await runScript(
        shell,
        ['--no-install'],
        {
          GATEHOUSE_TOKEN: 'GATE-AAAA',
          GATEHOUSE_STATE_DIR: join(dir, 'state'),
          GATEHOUSE_MACHINE_ID: 'evil-url-machine',
          GATEHOUSE_RETRY_SECONDS: '0',
        },
        script,
      ).done;
      expect(code).toBe(1);
      expect(output).toContain(`could not reach Gatehouse at ${lanUrl}`);
      expect(readdirSync(dir).filter((name) => name.startsWith('m'))).toEqual([]);
    },
  );
});

describe('what the server says, as join.sh shows it', () => {
  it('strips terminal control sequences from server messages', async () => {
    const hostile = 'bad \x1b[2J\x1b]0;owned\x07token\r\u009b31m here';
    const fake = await fakeGatehouse(() => ({
      status: 401,
      body: `{"error": {"code": "TOKEN_INVALID", "message": "${hostile}"}}`,
    }));
    const { code, output } = await runScript('dash', ['--no-install'], {
      ...fakeEnv(fake.url, scratch('state')),
      GATEHOUSE_TOKEN: 'GATE-AAAA',
    }).done;
    expect(code).toBe(1);
    expect(output).toContain('registration refused: bad [2J]0;ownedtoken 31m here (TOKEN_INVALID)');
    const controls = [...output].filter((c) => c !== '\n' && (c < ' ' || (c >= '\x7f' && c <= '\x9f')));
    expect(controls).toEqual([]);
  });

  it('waits as Retry-After says on 429 and keeps trying past the old 20 s budget', async () => {
    const fake = await fakeGatehouse((req, seen) =>
      req.url === '/api/hosts/register' && calls(seen, req.url).length <= 6
        ? {
            status: 429,
            headers: { 'Retry-After': '1' },
            body: '{"error": {"code": "RATE_LIMITED", "message": "slow down"}}',
          }
        : approving(req),
    );
    const { code, output } = await runScript('dash', ['--no-install'], {
      ...fakeEnv(fake.url, scratch('state')),
      GATEHOUSE_TOKEN: 'GATE-AAAA',
    }).done;
    expect(code).toBe(0);
    expect(output.match(/retrying in 1 s/g)).toHaveLength(6);
    const registers = calls(fake.seen, '/api/hosts/register');
    expect(registers).toHaveLength(7);
    expect(new Set(registers.map((r) => r.headers['idempotency-key'])).size).toBe(1);
  }, 60_000);

  it('polls for approval every 3 s for five minutes, then backs off to every 30 s', async () => {
    // A stand-in sleep records each wait and returns at once.
    const bin = scratch('bin');
    const log = join(bin, 'sleeps');
    writeFileSync(join(bin, 'sleep'), `#!/bin/sh\necho "$1" >> ${log}\n`, { mode: 0o755 });
    const fake = await fakeGatehouse((req, seen) =>
      req.url === '/api/hosts/register'
        ? { status: 201, body: registered('PENDING') }
        : req.url === '/api/hosts/me' && calls(seen, req.url).length <= 105
          ? { status: 200, body: '{"host_id": "h-1", "status": "PENDING"}' }
          : approving(req),
    );
    const { code, output } = await runScript('dash', ['--no-install'], {
      ...fakeEnv(fake.url, scratch('state')),
      GATEHOUSE_TOKEN: 'GATE-AAAA',
      PATH: `${bin}:${process.env.PATH}`,
    }).done;
    expect(code).toBe(0);
    expect(output).toContain('checking every 3 s');
    expect(output).toContain('gatehouse: approved');
    const sleeps = readFileSync(log, 'utf8').trim().split('\n').map(Number);
    expect(sleeps).toEqual([...Array<number>(100).fill(3), 6, 12, 24, 30, 30]);
  }, 60_000);

  it('asks for the token on the terminal without echoing it when none is given', async () => {
    const fake = await fakeGatehouse(approving);
    const token = 'GATE-TTYP-ROMP-TTOK';
    // util-linux script gives the shell a terminal; what we write arrives as typing.
    const joining = start('script', ['-qefc', `dash ${servedScript} --no-install`, '/dev/null'], {
      ...fakeEnv(fake.url, scratch('state')),
      GATEHOUSE_TOKEN: '',
    });
    await waitFor(async () => (joining.output().includes('Registration token') ? true : undefined), 'the prompt');
    joining.write(`${token}\n`);
    const { code, output } = await joining.done;
    expect(code).toBe(0);
    expect(JSON.parse(calls(fake.seen, '/api/hosts/register')[0]!.body)).toMatchObject({ token });
    expect(output).not.toContain(token);
  }, 30_000);

  it('says how to pass the token when there is neither a token nor a terminal', async () => {
    const fake = await fakeGatehouse(approving);
    const { code, output } = await start('setsid', ['-w', 'dash', servedScript, '--no-install'], {
      ...fakeEnv(fake.url, scratch('state')),
      GATEHOUSE_TOKEN: '',
    }).done;
    expect(code).toBe(2);
    expect(output).toContain("GATEHOUSE_TOKEN='GATE-");
    expect(fake.seen).toEqual([]);
  });

  it('--heartbeat-once prints one line on a terminal and nothing when run by a timer', async () => {
    const fake = await fakeGatehouse(approving);
    const state = scratch('state');
    writeFileSync(
      join(state, 'state.json'),
      JSON.stringify({ lan_url: fake.url, host_id: 'h-1', host_token: 'ghh_fakecredential', pin: '' }),
    );
    const env = { GATEHOUSE_STATE_DIR: state };
    const quiet = await runScript('dash', ['--heartbeat-once'], env).done;
    expect(quiet).toMatchObject({ code: 0, output: '' });
    const onTerminal = await start('script', ['-qefc', `dash ${servedScript} --heartbeat-once`, '/dev/null'], env).done;
    expect(onTerminal.code).toBe(0);
    expect(onTerminal.output.trim().split('\n')).toEqual([
      `gatehouse: heartbeat accepted by ${fake.url} for host h-1\r`.trim(),
    ]);
    expect(calls(fake.seen, '/api/hosts/heartbeat')).toHaveLength(2);
  });
});
