import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { ApiError } from '../../../../shared/api/errors';
import { toApiError } from '../../api/to-api-error';

/** Writes the contract's error body; Retry-After travels with 429s. */
export function sendError(res: Response, error: ApiError): void {
  if (error.retryAfterSeconds) res.setHeader('Retry-After', String(error.retryAfterSeconds));
  res.status(error.status).json(error.toBody());
}

/** Maps anything thrown to a contract error. Unknown errors are logged and become a 500 without details. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    if (res.headersSent) return;
    sendError(
      res,
      toApiError(error, () => logger.error({ err: error, path: req.path }, 'unhandled error')),
    );
  };
}

export const notFound: RequestHandler = (req, res) => {
  sendError(res, new ApiError('NOT_FOUND', `Nothing is served at ${req.method} ${req.path}.`));
};
