import type { RequestHandler } from 'express';
import type { Logger } from 'pino';

export interface RequestLogOptions {
  /**
   * Paths answered so often that a line each would drown the log (heartbeats: 3,000 a
   * second at 100,000 hosts). Their successes are counted and summarised once per
   * `summaryMs`; their failures are still logged one by one.
   */
  summarised?: string[];
  summaryMs?: number;
}

/**
 * One line per request: method, path, status, duration, source. Only the path is
 * logged, never the query, headers or body, so no credential can reach the log.
 */
export function requestLog(logger: Logger, options: RequestLogOptions = {}): RequestHandler {
  const summarised = new Set(options.summarised ?? []);
  const counts = new Map<string, number>();
  if (summarised.size) {
    setInterval(() => {
      if (counts.size === 0) return;
      logger.info({ requests: Object.fromEntries(counts) }, 'requests answered since the last summary');
      counts.clear();
    }, options.summaryMs ?? 60_000).unref();
  }
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      if (summarised.has(req.path) && res.statusCode < 400) {
        const key = `${req.method} ${req.path} ${res.statusCode}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
        return;
      }
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
