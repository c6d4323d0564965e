import express, { type Express } from 'express';
import type { Logger } from 'pino';
import { requestMetrics, type Metrics } from '../../metrics';
import type { EnrolmentService } from '../../services/enrolment-service';
import type { LanEndpoint } from '../../services/join-links';
import type { FailureLimiter } from '../../security/failure-limiter';
import { errorHandler, notFound } from '../middleware/errors';
import { securityHeaders } from '../middleware/hardening';
import { requestLog } from '../middleware/request-log';
import { hostRoutes } from './host-routes';
import { joinRoutes, type JoinAssets } from './join-routes';

export interface LanAppOptions {
  enrolment: EnrolmentService;
  limiter: FailureLimiter;
  logger: Logger;
  version: string;
  endpoint: () => LanEndpoint;
  assets: JoinAssets;
  metrics?: Metrics;
}

/** The LAN listener's app: the host-facing API, join script and join page. No admin route exists here. */
export function createLanApp(options: LanAppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', false);
  if (options.metrics) app.use(requestMetrics(options.metrics));
  app.use(requestLog(options.logger, { summarised: ['/api/hosts/heartbeat'] }), securityHeaders);
  app.get('/api/health', (_req, res) => {
    res.json({ status: 'ok', version: options.version });
  });
  app.use(hostRoutes(options));
  app.use(joinRoutes(options.endpoint, options.assets));
  app.use(notFound);
  app.use(errorHandler(options.logger));
  return app;
}
