import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EndpointFile } from '../../src/main/core/headless';
import { APP_ROOT } from './gatehouse';

export interface ServeProcess {
  dir: string;
  endpoint: EndpointFile;
  adminToken: string;
  child: ChildProcess;
  output: () => string;
  admin(path: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** `npm run serve` as a user runs it, on loopback port 0; resolves once endpoint.json exists. */
export async function startServeProcess(
  args: string[] = [],
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-e2e-')),
): Promise<ServeProcess> {
  const endpointFile = join(dir, 'endpoint.json');
  rmSync(endpointFile, { force: true });
  const child = spawn(
    'npm',
    [
      'run',
      '--silent',
      'serve',
      '--',
      '--data-dir',
      dir,
      '--port',
      '0',
      '--admin-port',
      '0',
      '--bind',
      '127.0.0.1',
      ...args,
    ],
    {
      cwd: APP_ROOT,
      env: { ...process.env, GATEHOUSE_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout!.on('data', (c) => (output += c));
  child.stderr!.on('data', (c) => (output += c));
  const deadline = Date.now() + 60_000;
  while (!existsSync(endpointFile)) {
    if (child.exitCode !== null) throw new Error(`npm run serve exited ${child.exitCode}: ${output}`);
    if (Date.now() > deadline) throw new Error(`npm run serve did not start: ${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const endpoint = JSON.parse(readFileSync(endpointFile, 'utf8')) as EndpointFile;
  const adminToken = readFileSync(join(dir, 'admin-token'), 'utf8').trim();
  return {
    dir,
    endpoint,
    adminToken,
    child,
    output: () => output,
    admin(path, init = {}) {
      const { json, ...rest } = init;
      return fetch(endpoint.admin_url + path, {
        ...rest,
        method: rest.method ?? (json === undefined ? 'GET' : 'POST'),
        body: json === undefined ? rest.body : JSON.stringify(json),
        headers: { Authorization: `Bearer ${adminToken}`, 'Content-Type': 'application/json' },
      });
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null) return child.exitCode;
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      process.kill(endpoint.pid, signal);
      const code = await exited;
      return code;
    },
  };
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
