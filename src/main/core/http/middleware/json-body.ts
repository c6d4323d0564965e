import express, { type RequestHandler } from 'express';
import { ApiError } from '../../../../shared/api/errors';

/** The largest body either listener accepts; registrations and admin calls are small. */
export const BODY_LIMIT = '64kb';

/**
 * Bodies must be JSON: a request that carries a body of another type gets 415,
 * rather than being silently read as empty.
 */
export function jsonBody(limit: string = BODY_LIMIT): RequestHandler[] {
  const requireJson: RequestHandler = (req, _res, next) => {
    const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
    if (hasBody && !req.is('application/json')) {
      next(new ApiError('UNSUPPORTED_MEDIA_TYPE', 'Send the body as JSON with Content-Type: application/json.'));
      return;
    }
    next();
  };
  return [requireJson, express.json({ limit, strict: true })];
}
