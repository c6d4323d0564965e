import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { ApiError } from '../../../../shared/api/errors';

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

function toApiError(error: unknown, onUnknown: () => void): ApiError {
  if (error instanceof ApiError) return error;
  // body-parser errors carry a `type`.
  const type = (error as { type?: string }).type;
  if (type === 'entity.too.large') return new ApiError('PAYLOAD_TOO_LARGE', 'The request body is too large.');
  if (type === 'entity.parse.failed') return new ApiError('VALIDATION_FAILED', 'The request body is not valid JSON.');
  if (type === 'charset.unsupported' || type === 'encoding.unsupported') {
    return new ApiError('UNSUPPORTED_MEDIA_TYPE', 'Send the body as UTF-8 JSON.');
  }
  onUnknown();
  return new ApiError('INTERNAL', 'Something went wrong inside Gatehouse; the details are in its log.');
}

export const notFound: RequestHandler = (req, res) => {
  sendError(res, new ApiError('NOT_FOUND', `Nothing is served at ${req.method} ${req.path}.`));
};
