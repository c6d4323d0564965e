import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { createGatehouse, type Gatehouse } from '../../src/main/core/gatehouse';
import { startHeadless, type Headless } from '../../src/main/core/headless';
import { manualClock } from '../../src/main/core/services/clock';
import type { Store } from '../../src/main/core/store/store';

export const silentLogger = pino({ level: 'silent' });
export const APP_ROOT = join(import.meta.dirname, '..', '..');

export interface TestGatehouse extends Gatehouse {
  dir: string;
  clock: ReturnType<typeof manualClock>;
  dispose(): Promise<void>;
}

/** A real store in a temp dir with a clock the test moves by hand. */
export async function makeGatehouse(options: { store?: Store } = {}): Promise<TestGatehouse> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-core-'));
  const clock = manualClock();
  const gatehouse = await createGatehouse({
    store: options.store,
    databaseFile: join(dir, 'gatehouse.db'),
    secretKey: randomBytes(32),
    clock,
  });
  gatehouse.setEndpoint({ lanUrl: 'https://192.0.2.10:7443', tlsFingerprint: 'AAAAtestpin=' });
  return {
    ...gatehouse,
    clock,
    dir,
    async dispose() {
      await gatehouse.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface TestServer extends Headless {
  dir: string;
  adminToken: string;
  clock: ReturnType<typeof manualClock> | undefined;
  /** fetch against the admin API with the bearer token. */
  admin(path: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
  /** fetch against the LAN listener (plain HTTP in these tests). */
  lan(path: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
  dispose(): Promise<void>;
}

function withJson(init: RequestInit & { json?: unknown } = {}): RequestInit {
  const { json, ...rest } = init;
  if (json === undefined) return rest;
  return {
    ...rest,
    method: rest.method ?? 'POST',
    body: JSON.stringify(json),
    headers: { 'Content-Type': 'application/json', ...(rest.headers as Record<string, string>) },
  };
}

/** The headless server in process, on loopback port 0, plain HTTP unless `tls`. */
export async function startTestServer(
  options: { tls?: boolean; failureLimit?: number; clock?: ReturnType<typeof manualClock>; logger?: Logger } = {},
): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-server-'));
  const headless = await startHeadless({
    dataDir: dir,
    port: 0,
    adminPort: 0,
    bind: '127.0.0.1',
    http: !options.tls,
    logger: options.logger ?? silentLogger,
    appRoot: APP_ROOT,
    version: 'test',
    clock: options.clock,
    failureLimit: options.failureLimit ?? 1000,
  });
  const { readFileSync } = await import('node:fs');
  const adminToken = readFileSync(join(dir, 'admin-token'), 'utf8').trim();
  return {
    ...headless,
    dir,
    adminToken,
    clock: options.clock,
    admin: (path, init) => {
      const request = withJson(init);
      return fetch(headless.endpoint.admin_url + path, {
        ...request,
        headers: { Authorization: `Bearer ${adminToken}`, ...(request.headers as Record<string, string>) },
      });
    },
    lan: (path, init) => fetch(headless.endpoint.lan_url + path, withJson(init)),
    async dispose() {
      await headless.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A valid registration body; override any field. */
export function registration(token: string, overrides: Record<string, unknown> = {}) {
  const n = randomBytes(4).toString('hex');
  return {
    token,
    hostname: `node-${n}`,
    machine_id: `machine-${n}-0000`,
    os: 'Debian 12',
    arch: 'x86_64',
    ...overrides,
  };
}
