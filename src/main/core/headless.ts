import type { Server } from 'node:http';
import express, { type Express } from 'express';
import { metricsRouter, type Metrics } from './metrics';
import { notFound } from './http/middleware/errors';
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
import { loadCertificateFiles, loadOrCreateCertificate, type TlsMaterial } from './security/tls-certificate';
import { openPostgresStore } from './store/postgres/postgres-store';
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
  /** A fresh single-use sign-in link (the one in endpoint.json works once, within a minute). */
  loginUrl(): string;
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
    secretKey: (paths) => ({ key: loadOrCreateKeyFile(options.secretKeyFile ?? paths.secretKey), storage: 'file' }),
    // Team mode: every server of one PostgreSQL store; --data-dir keeps this server's own files.
    openStore: options.store
      ? (secretKey) =>
          openPostgresStore(options.store!, {
            secretKey,
            onListenError: (error) => logger.warn({ err: error }, 'event listener lost its connection; reconnecting'),
          })
      : undefined,
    lan: {
      bind: options.bind,
      port: options.port,
      http: options.http,
      advertiseUrl: options.advertiseUrl,
      tlsFiles: tlsFiles(options),
    },
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
  let newLoginCode = (): string => {
    throw new Error('the admin listener is not up');
  };
  try {
    const adminToken = loadOrCreateAdminToken(paths.adminToken);
    // --admin-bind: the admin listener leaves loopback, so it speaks HTTPS with the LAN certificate.
    const adminTls: TlsMaterial | undefined = options.adminBind
      ? options.tlsCert && options.tlsKey
        ? loadCertificateFiles(options.tlsCert, options.tlsKey)
        : await loadOrCreateCertificate(paths.dir, { logger })
      : undefined;
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
      bound: options.adminBind ? { host: options.adminBind, https: true } : undefined,
    });
    admin = await listen(adminApp.app, {
      host: options.adminBind ?? '127.0.0.1',
      port: options.adminPort,
      tls: adminTls,
    });
    adminPort = portOf(admin);
    newLoginCode = adminApp.newLoginCode;
    const adminUrl = urlOf(adminTls ? 'https' : 'http', options.adminBind ?? '127.0.0.1', adminPort);
    endpoint = {
      lan_url: lan.endpoint.lanUrl,
      admin_url: adminUrl,
      login_url: `${adminUrl}/login?code=${adminApp.newLoginCode()}`,
      tls_fingerprint: lan.endpoint.tlsFingerprint ?? adminTls?.fingerprint ?? null,
      pid: process.pid,
    };
    writeEndpoint();
    logger.info(
      {
        lan_url: endpoint.lan_url,
        admin_url: adminUrl,
        tls: !options.http,
        tls_fingerprint: endpoint.tls_fingerprint,
        store: gatehouse.store.engine,
      },
      'gatehouse is listening',
    );
  } catch (error) {
    if (admin) await close(admin);
    await runtime.stop();
    throw error;
  }
  const adminServer = admin;
  // --metrics-bind: /metrics alone, without a credential, on an address the operator chose
  // for the scraper (the admin listener also serves it to any admin credential).
  const metricsServer = options.metricsBind
    ? await listen(metricsApp(gatehouse.metrics), options.metricsBind).catch(async (error: unknown) => {
        await close(adminServer);
        await runtime.stop();
        throw error;
      })
    : undefined;
  let stopped = false;
  const adminUrl = endpoint!.admin_url;
  return {
    gatehouse,
    endpoint: endpoint!,
    loginUrl: () => `${adminUrl}/login?code=${newLoginCode()}`,
    async stop() {
      if (stopped) return;
      stopped = true;
      await Promise.all([close(adminServer), metricsServer && close(metricsServer)]);
      await runtime.stop();
      rmSync(paths.endpoint, { force: true });
    },
  };
}

/** The --metrics-bind listener's app: GET /metrics and a contract 404 for everything else. */
function metricsApp(metrics: Metrics): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(metricsRouter(metrics));
  app.use(notFound);
  return app;
}

/** --tls-cert/--tls-key, when given (the parser accepts both or neither). */
function tlsFiles(options: ServeOptions): { cert: string; key: string } | undefined {
  return options.tlsCert && options.tlsKey ? { cert: options.tlsCert, key: options.tlsKey } : undefined;
}
