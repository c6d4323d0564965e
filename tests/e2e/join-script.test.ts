import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDir, startServeProcess, type ServeProcess } from '../helpers/serve-process';

let serve: ServeProcess;
beforeAll(async () => {
  serve = await startServeProcess();
}, 120_000);
afterAll(async () => {
  expect(await serve.stop()).toBe(0);
  removeDir(serve.dir);
});

interface Run {
  done: Promise<{ code: number | null; output: string }>;
  output: () => string;
}

/** Runs a command line with /bin/sh (dash on Debian); the shell under test is named inside it. */
function run(script: string, env: Record<string, string>): Run {
  const child = spawn('/bin/sh', ['-c', script], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c) => (output += c));
  child.stderr.on('data', (c) => (output += c));
  return {
    output: () => output,
    done: new Promise((resolve) => child.on('exit', (code) => resolve({ code, output }))),
  };
}

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
  it('registers, waits, finishes once approved, heartbeats once and shows ONLINE', async () => {
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
