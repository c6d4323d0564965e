import type { Server } from 'node:http';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { ServeOptions } from './cli/serve-args';
import { loadOrCreateAdminToken } from './data-dir';
import { writeFileAtomic } from './durable-file';
import type { Gatehouse } from './gatehouse';
import { createAdminApp } from './http/admin/admin-app';
import { close, listen, portOf, urlOf } from './http/server';
import { startRuntime } from './runtime';
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

/**
 * Headless Gatehouse: the shared runtime (core, LAN listener, jobs) plus the
 * loopback-only admin listener. `endpoint.json` is written only once both accept.
 */
export async function startHeadless(options: HeadlessOptions): Promise<Headless> {
  const { logger } = options;
  let endpoint: EndpointFile | undefined;
  const runtime = await startRuntime({
    dataDir: options.dataDir,
    logger,
    version: options.version,
    joinAssetsDir: join(options.appRoot, 'resources'),
    secretKey: (paths) => ({ key: loadOrCreateKeyFile(paths.secretKey), storage: 'file' }),
    lan: { bind: options.bind, port: options.port, http: options.http, advertiseUrl: options.advertiseUrl },
    clock: options.clock,
    failureLimit: options.failureLimit,
    heartbeatFlushMs: options.heartbeatFlushMs,
    onCertificateChanged: (lanEndpoint) => {
      if (!endpoint) return;
      endpoint.tls_fingerprint = lanEndpoint.tlsFingerprint;
      writeEndpoint();
    },
  });
  const { gatehouse, lan, paths } = runtime;
  const writeEndpoint = () => writeFileAtomic(paths.endpoint, JSON.stringify(endpoint, null, 2) + '\n');
  // A file left by a killed run must not be mistaken for this run's endpoint.
  rmSync(paths.endpoint, { force: true });
  let admin: Server | undefined;
  try {
    const adminToken = loadOrCreateAdminToken(paths.adminToken);
    let adminPort = 0;
    const adminApp = createAdminApp({
      handlers: gatehouse.handlers,
      events: gatehouse.events,
      logger: logger.child({ listener: 'admin' }),
      adminToken,
      dataDir: paths.dir,
      version: options.version,
      metrics: gatehouse.metrics,
      verifyCredential: (secret) => gatehouse.credentials.verify(secret),
      port: () => adminPort,
      rendererDir: join(options.appRoot, 'out', 'renderer'),
    });
    admin = await listen(adminApp.app, { host: '127.0.0.1', port: options.adminPort });
    adminPort = portOf(admin);
    const adminUrl = urlOf('http', '127.0.0.1', adminPort);
    endpoint = {
      lan_url: lan.endpoint.lanUrl,
      admin_url: adminUrl,
      login_url: `${adminUrl}/login?code=${adminApp.newLoginCode()}`,
      tls_fingerprint: lan.endpoint.tlsFingerprint,
      pid: process.pid,
    };
    writeEndpoint();
    logger.info({ lan_url: endpoint.lan_url, admin_url: adminUrl, tls: !options.http }, 'gatehouse is listening');
  } catch (error) {
    if (admin) await close(admin);
    await runtime.stop();
    throw error;
  }
  const adminServer = admin;
  let stopped = false;
  return {
    gatehouse,
    endpoint: endpoint!,
    async stop() {
      if (stopped) return;
      stopped = true;
      await close(adminServer);
      await runtime.stop();
      rmSync(paths.endpoint, { force: true });
    },
  };
}
