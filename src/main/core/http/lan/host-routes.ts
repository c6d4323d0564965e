import { Router, type ErrorRequestHandler, type Request, type RequestHandler } from 'express';
import { ApiError } from '../../../../shared/api/errors';
import { registerHostInput } from '../../../../shared/api/schemas';
import { toApiError } from '../../api/to-api-error';
import { validate } from '../../api/validate';
import type { EnrolmentService } from '../../services/enrolment-service';
import type { FailureLimiter } from '../../security/failure-limiter';
import { normaliseAddress } from '../../security/cidr';
import { sendError } from '../middleware/errors';
import { jsonBody } from '../middleware/json-body';

const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{8,128}$/;

/** Refusals that count against the source address: guesses and bad credentials, never successes. */
const COUNTED = new Set([
  'VALIDATION_FAILED',
  'TOKEN_MALFORMED',
  'TOKEN_INVALID',
  'TOKEN_EXPIRED',
  'TOKEN_REVOKED',
  'TOKEN_EXHAUSTED',
  'TOKEN_SOURCE_DENIED',
  'UNAUTHORIZED',
]);

const source = (req: Request) => normaliseAddress(req.socket.remoteAddress ?? 'unknown');

function bearer(req: Request): string | undefined {
  const header = req.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
}

/** The host-facing API of the contract. Handlers are thin: parse, call the service, answer. */
export function hostRoutes(deps: { enrolment: EnrolmentService; limiter: FailureLimiter }): Router {
  const router = Router();
  const { enrolment, limiter } = deps;

  const notBlocked: RequestHandler = (req, res, next) => {
    const retryAfter = limiter.retryAfter(source(req));
    if (retryAfter === 0) return next();
    sendError(
      res,
      new ApiError(
        'RATE_LIMITED',
        `Too many refused attempts from this address; try again in ${retryAfter} s.`,
        undefined,
        retryAfter,
      ),
    );
  };

  router.post('/api/hosts/register', (req, res) => {
    const key = req.header('Idempotency-Key');
    if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) {
      throw new ApiError('VALIDATION_FAILED', 'Idempotency-Key: 8–128 letters, digits or . _ : -');
    }
    const input = validate(registerHostInput, req.body);
    res.status(201).json(enrolment.register(input, source(req), key));
  });

  router.get('/api/hosts/me', (req, res) => {
    res.json(enrolment.describe(enrolment.authenticate(bearer(req))));
  });

  router.post('/api/hosts/heartbeat', (req, res) => {
    enrolment.heartbeat(enrolment.authenticate(bearer(req)));
    res.status(204).end();
  });

  router.post('/api/hosts/credentials/rotate', (req, res) => {
    res.json(enrolment.rotate(enrolment.authenticate(bearer(req))));
  });

  const outer = Router();
  outer.use('/api/hosts', notBlocked, ...jsonBody());
  outer.use(router);
  // Count the refusal against its source, then let the shared handler answer it.
  const countRefusal: ErrorRequestHandler = (error, req, _res, next) => {
    // Unknown errors are Gatehouse's fault, not the caller's: they never count.
    const { code } = toApiError(error, () => {});
    if (COUNTED.has(code)) limiter.recordFailure(source(req));
    next(error);
  };
  outer.use('/api/hosts', countRefusal);
  return outer;
}
