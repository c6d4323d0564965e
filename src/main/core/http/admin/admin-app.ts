import { existsSync } from 'node:fs';
import { join } from 'node:path';
import express, { type Express } from 'express';
import type { Logger } from 'pino';
import type { AdminHandlers } from '../../api/admin-handlers';
import type { EventBus } from '../../services/event-bus';
import { errorHandler, notFound } from '../middleware/errors';
import { securityHeaders } from '../middleware/hardening';
import { jsonBody } from '../middleware/json-body';
import { requestLog } from '../middleware/request-log';
import { buildOpenApiDocument } from '../../api/openapi';
import { metricsRouter, requestMetrics, type Metrics } from '../../metrics';
import type { AdminIdentity } from '../../services/credential-service';
import { createAdminAuth, sameOriginOnly } from './admin-auth';
import { eventStream } from './event-stream';
import { operationRouter } from './operation-router';

export interface AdminAppOptions {
  handlers: AdminHandlers;
  events: EventBus;
  logger: Logger;
  adminToken: string;
  /** Named on the sign-in page, so the admin knows where admin-token and endpoint.json are. */
  dataDir?: string;
  version: string;
  metrics: Metrics;
  verifyCredential?: (secret: string) => Promise<AdminIdentity | undefined>;
  /** The listener's port, known after listen; Host and Origin are checked against it. */
  port: () => number;
  /** Built renderer (index.html and assets); the admin UI is served when present. */
  rendererDir?: string;
  /** Team mode (--admin-bind): the address served over HTTPS; named credentials off this machine. */
  bound?: { host: string; https: boolean };
}

const UI_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "img-src 'self' data:",
  "style-src 'self' 'unsafe-inline'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'none'",
].join('; ');

/** Admin bodies may name 5,000 hosts for a bulk decision. */
const ADMIN_BODY_LIMIT = '1mb';

/**
 * The loopback-only admin listener's app: admin API, event stream, sign-in and the UI.
 * Never listens itself. `newLoginCode` mints a single-use code for a fresh login_url.
 */
export function createAdminApp(options: AdminAppOptions): { app: Express; newLoginCode: () => string } {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const auth = createAdminAuth({
    adminToken: options.adminToken,
    port: options.port,
    dataDir: options.dataDir,
    verifyCredential: options.verifyCredential,
    ownerOnLoopbackOnly: options.bound !== undefined,
  });
  const openapi = JSON.stringify(buildOpenApiDocument(options.version));

  app.use(
    requestMetrics(options.metrics),
    requestLog(options.logger),
    securityHeaders,
    sameOriginOnly(options.port, options.bound),
  );
  app.use(auth.routes);
  // Any admin credential may scrape; the scrape reads counts, never a secret.
  app.use('/metrics', auth.requireAdmin);
  app.use(metricsRouter(options.metrics));
  app.use('/api/admin', auth.requireAdmin, ...jsonBody(ADMIN_BODY_LIMIT));
  app.get('/api/admin/openapi.json', (_req, res) => res.type('application/json').send(openapi));
  app.get('/api/admin/events', eventStream(options.events));
  app.use(operationRouter(options.handlers));
  app.use('/api', notFound);

  const dir = options.rendererDir;
  if (dir && existsSync(join(dir, 'index.html'))) {
    app.use((_req, res, next) => {
      res.setHeader('Content-Security-Policy', UI_CSP);
      next();
    });
    app.use(express.static(dir, { index: 'index.html' }));
    // Client-side routes (/audit, /tokens) all load the one page.
    app.get(/^\/(?!api\/).*/, (_req, res) => res.sendFile(join(dir, 'index.html')));
  }
  app.use(notFound);
  app.use(errorHandler(options.logger));
  return { app, newLoginCode: auth.newLoginCode };
}
