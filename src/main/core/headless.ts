import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { ServeOptions } from './cli/serve-args';
import { dataPaths, ensureDataDir, loadOrCreateAdminToken, writeFileAtomic } from './data-dir';
import { createGatehouse, type Gatehouse } from './gatehouse';
import { createAdminApp } from './http/admin/admin-app';
import { createLanApp } from './http/lan/lan-app';
import type { JoinAssets } from './http/lan/join-routes';
import { close, listen, portOf, urlOf } from './http/server';
import { isWildcard, primaryLanAddress } from './lan-address';
import { createFailureLimiter } from './security/failure-limiter';
import { loadOrCreateKeyFile } from './security/secret-box';
import { loadOrCreateCertificate } from './security/tls-certificate';
import type { Clock } from './services/clock';

export interface EndpointFile {
  lan_url: string;
  admin_url: string;
  login_url: string;
  tls_fingerprint: string | null;
  pid: number;
}

export interface HeadlessOptions extends ServeOptions {
  logger: Logger;
  appRoot: string;
  version: string;
  clock?: Clock;
  /** Refused attempts per source address per minute before 429. */
  failureLimit?: number;
  heartbeatFlushMs?: number;
}

export interface Headless {
  gatehouse: Gatehouse;
  endpoint: EndpointFile;
  stop(): Promise<void>;
}

export function readJoinAssets(appRoot: string): JoinAssets {
  const read = (name: string) => readFileSync(join(appRoot, 'resources', name), 'utf8');
  return { script: read('join.sh'), page: read('join.html'), pageScript: read('join.js') };
}

/**
 * Headless Gatehouse: the core, the LAN listener (HTTPS unless `http`) and the
 * loopback-only admin listener. `endpoint.json` is written only once both accept.
 */
export async function startHeadless(options: HeadlessOptions): Promise<Headless> {
  const { logger } = options;
  ensureDataDir(options.dataDir);
  const paths = dataPaths(options.dataDir);
  // A file left by a killed run must not be mistaken for this run's endpoint.
  rmSync(paths.endpoint, { force: true });
  const adminToken = loadOrCreateAdminToken(paths.adminToken);
  const tls = options.http ? undefined : await loadOrCreateCertificate(options.dataDir);
  const gatehouse = createGatehouse({
    databaseFile: paths.database,
    secretKey: loadOrCreateKeyFile(paths.secretKey),
    clock: options.clock,
    logger,
  });
  const clock = gatehouse.clock;
  const limiter = createFailureLimiter({ limit: options.failureLimit ?? 10, windowMs: 60_000, clock });
  const servers: Server[] = [];
  const timers: NodeJS.Timeout[] = [];
  try {
    const lanApp = createLanApp({
      enrolment: gatehouse.enrolment,
      hosts: gatehouse.hosts,
      limiter,
      logger: logger.child({ listener: 'lan' }),
      version: options.version,
      endpoint: () => lanEndpoint,
      assets: readJoinAssets(options.appRoot),
    });
    const lanServer = await listen(lanApp, { host: options.bind, port: options.port, tls });
    servers.push(lanServer);
    const lanHost = isWildcard(options.bind) ? primaryLanAddress() : options.bind;
    const lanEndpoint = {
      lanUrl: options.advertiseUrl ?? urlOf(tls ? 'https' : 'http', lanHost, portOf(lanServer)),
      tlsFingerprint: tls?.fingerprint ?? null,
    };
    gatehouse.setEndpoint(lanEndpoint);

    let adminPort = 0;
    const loginCode = randomBytes(24).toString('base64url');
    const adminApp = createAdminApp({
      handlers: gatehouse.handlers,
      events: gatehouse.events,
      logger: logger.child({ listener: 'admin' }),
      adminToken,
      loginCode,
      port: () => adminPort,
      rendererDir: join(options.appRoot, 'out', 'renderer'),
    });
    const adminServer = await listen(adminApp, { host: '127.0.0.1', port: options.adminPort });
    servers.push(adminServer);
    adminPort = portOf(adminServer);

    timers.push(setInterval(() => gatehouse.heartbeats.flush(), options.heartbeatFlushMs ?? 5_000));
    timers.push(
      setInterval(() => {
        limiter.sweep();
        gatehouse.enrolment.sweep();
      }, 60_000),
    );
    timers.forEach((t) => t.unref());

    const adminUrl = urlOf('http', '127.0.0.1', adminPort);
    const endpoint: EndpointFile = {
      lan_url: lanEndpoint.lanUrl,
      admin_url: adminUrl,
      login_url: `${adminUrl}/login?code=${loginCode}`,
      tls_fingerprint: lanEndpoint.tlsFingerprint,
      pid: process.pid,
    };
    writeFileAtomic(paths.endpoint, JSON.stringify(endpoint, null, 2) + '\n');
    logger.info({ lan_url: endpoint.lan_url, admin_url: adminUrl, tls: Boolean(tls) }, 'gatehouse is listening');

    let stopped = false;
    return {
      gatehouse,
      endpoint,
      async stop() {
        if (stopped) return;
        stopped = true;
        timers.forEach(clearInterval);
        await Promise.all(servers.map(close));
        gatehouse.close();
        rmSync(paths.endpoint, { force: true });
      },
    };
  } catch (error) {
    timers.forEach(clearInterval);
    await Promise.all(servers.map(close));
    gatehouse.close();
    throw error;
  }
}
