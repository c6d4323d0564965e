import type { RequestHandler } from 'express';
import type { Logger } from 'pino';

/**
 * One line per request: method, path, status, duration, source. Only the path is
 * logged, never the query, headers or body, so no credential can reach the log.
 */
export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      logger.info(
        {
          method: req.method,
          path: req.path,
          status: res.statusCode,
          ms: Number((process.hrtime.bigint() - started) / 1000n) / 1000,
          remote: req.socket.remoteAddress,
        },
        'request',
      );
    });
    next();
  };
}
