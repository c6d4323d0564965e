import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { ServeOptions } from './cli/serve-args';
import { dataPaths, ensureDataDir, loadOrCreateAdminToken } from './data-dir';
import { writeFileAtomic } from './durable-file';
import { createGatehouse, type Gatehouse } from './gatehouse';
import { createAdminApp } from './http/admin/admin-app';
import type { JoinAssets } from './http/lan/join-routes';
import { close, listen, portOf, urlOf } from './http/server';
import { allLanAddresses } from './lan-address';
import { createSystemService, startLanListener, type LanListener } from './lan-listener';
import { loadOrCreateKeyFile } from './security/secret-box';
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

/** join.sh and the join page, from `dir` (the repository's `resources/`, or the packaged app's copy). */
export function readJoinAssets(dir: string): JoinAssets {
  const read = (name: string) => readFileSync(join(dir, name), 'utf8');
  return { script: read('join.sh'), page: read('join.html'), pageScript: read('join.js') };
}

/** Flushes coalesced heartbeats and sweeps expired limiter and idempotency entries; returns the stop function. */
export function startBackgroundJobs(gatehouse: Gatehouse, lan: LanListener, heartbeatFlushMs = 5_000): () => void {
  const timers = [
    setInterval(() => {
      // One event per flush, not per beat: the admin's views refresh last-seen times every few seconds.
      if (gatehouse.heartbeats.flush() > 0) gatehouse.events.publish({ topic: 'hosts', action: 'heartbeats' });
    }, heartbeatFlushMs),
    setInterval(() => {
      lan.limiter.sweep();
      gatehouse.enrolment.sweep();
    }, 60_000),
  ];
  timers.forEach((t) => t.unref());
  return () => timers.forEach(clearInterval);
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
  const gatehouse = createGatehouse({
    databaseFile: paths.database,
    secretKey: loadOrCreateKeyFile(paths.secretKey),
    clock: options.clock,
    logger,
  });
  let lan: LanListener | undefined;
  let admin: Server | undefined;
  let stopJobs = () => {};
  let endpoint: EndpointFile = { lan_url: '', admin_url: '', login_url: '', tls_fingerprint: null, pid: process.pid };
  const shutdown = async () => {
    stopJobs();
    await Promise.all([lan?.close(), admin && close(admin)]);
    gatehouse.close();
  };
  try {
    lan = await startLanListener({
      gatehouse,
      logger,
      version: options.version,
      assets: readJoinAssets(join(options.appRoot, 'resources')),
      dataDir: options.dataDir,
      bind: options.bind,
      port: options.port,
      http: options.http,
      advertiseUrl: options.advertiseUrl,
      failureLimit: options.failureLimit,
    });
    gatehouse.setSystem(
      createSystemService({
        gatehouse,
        lan,
        version: options.version,
        keyStorage: 'file',
        addresses: allLanAddresses,
        restartRequired: () => false,
        onCertificateChanged: (lanEndpoint) => {
          endpoint.tls_fingerprint = lanEndpoint.tlsFingerprint;
          writeFileAtomic(paths.endpoint, JSON.stringify(endpoint, null, 2) + '\n');
        },
      }),
    );

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
    admin = await listen(adminApp, { host: '127.0.0.1', port: options.adminPort });
    adminPort = portOf(admin);
    stopJobs = startBackgroundJobs(gatehouse, lan, options.heartbeatFlushMs);

    const adminUrl = urlOf('http', '127.0.0.1', adminPort);
    endpoint = {
      lan_url: lan.endpoint.lanUrl,
      admin_url: adminUrl,
      login_url: `${adminUrl}/login?code=${loginCode}`,
      tls_fingerprint: lan.endpoint.tlsFingerprint,
      pid: process.pid,
    };
    writeFileAtomic(paths.endpoint, JSON.stringify(endpoint, null, 2) + '\n');
    logger.info({ lan_url: endpoint.lan_url, admin_url: adminUrl, tls: !options.http }, 'gatehouse is listening');

    let stopped = false;
    return {
      gatehouse,
      endpoint,
      async stop() {
        if (stopped) return;
        stopped = true;
        await shutdown();
        rmSync(paths.endpoint, { force: true });
      },
    };
  } catch (error) {
    await shutdown();
    throw error;
  }
}
