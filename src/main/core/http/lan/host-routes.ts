import { Router, type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import { ApiError } from '../../../../shared/api/errors';
import { registerHostInput } from '../../../../shared/api/schemas';
import { toApiError } from '../../api/to-api-error';
import { validate } from '../../api/validate';
import type { Metrics } from '../../metrics';
import type { EnrolmentService } from '../../services/enrolment-service';
import type { FailureLimiter } from '../../security/failure-limiter';
import { normaliseAddress } from '../../security/cidr';
import { hashSecret } from '../../security/secrets';
import { sourceKey } from '../connection-guard';
import { sendError } from '../middleware/errors';
import { jsonBody } from '../middleware/json-body';

const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{8,128}$/;

/** Registration refusals that are guesses at a token, and so count against the source. */
const TOKEN_REFUSALS = new Set([
  'TOKEN_MALFORMED',
  'TOKEN_INVALID',
  'TOKEN_EXPIRED',
  'TOKEN_REVOKED',
  'TOKEN_EXHAUSTED',
  'TOKEN_SOURCE_DENIED',
]);

const source = (req: Request) => normaliseAddress(req.socket.remoteAddress ?? 'unknown');

function bearer(req: Request): string | undefined {
  const header = req.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
}

/** A refusal counts when it is about the token; one only about another field is a mistake, not a guess. */
function isGuess(error: ApiError): boolean {
  if (TOKEN_REFUSALS.has(error.code)) return true;
  if (error.code !== 'VALIDATION_FAILED' || !Array.isArray(error.details)) return false;
  return (error.details as { path?: string }[]).some((d) => d.path === 'token');
}

const rateLimited = (res: Response, retryAfter: number, what: string) =>
  sendError(
    res,
    new ApiError(
      'RATE_LIMITED',
      `Too many refused attempts ${what}; try again in ${retryAfter} s.`,
      undefined,
      retryAfter,
    ),
  );

/**
 * The host-facing API of the contract. Handlers are thin: parse, call the service, answer.
 *
 * Rate limiting: refused registrations count per source address (IPv6 per /64), with a
 * slot reserved before the body arrives. Bad host credentials count per credential,
 * never per address, and a valid credential is never refused, so hosts behind one NAT
 * address never take each other offline.
 */
export function hostRoutes(deps: { enrolment: EnrolmentService; limiter: FailureLimiter; metrics?: Metrics }): Router {
  const { enrolment, limiter } = deps;
  const settle = (res: Response, failed: boolean) =>
    (res.locals.settle as ((f: boolean) => void) | undefined)?.(failed);

  const admitRegistration: RequestHandler = (req, res, next) => {
    limiter.admit(`src:${sourceKey(source(req))}`).then(({ retryAfter, done }) => {
      if (!done) return rateLimited(res, retryAfter, 'from this address');
      res.locals.settle = done;
      res.on('close', () => done(false));
      next();
    }, next);
  };

  const credentialKey = (req: Request) => `cred:${hashSecret(bearer(req) ?? '').toString('base64')}`;
  const credentialNotBlocked: RequestHandler = (req, res, next) => {
    const retryAfter = limiter.retryAfter(credentialKey(req));
    if (retryAfter === 0) return next();
    rateLimited(res, retryAfter, 'with this credential');
  };

  const router = Router();
  router.post('/api/hosts/register', admitRegistration, ...jsonBody(), async (req, res) => {
    const key = req.header('Idempotency-Key');
    if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) {
      throw new ApiError('VALIDATION_FAILED', 'Idempotency-Key: 8–128 letters, digits or . _ : -');
    }
    const input = validate(registerHostInput, req.body);
    res.status(201).json(await enrolment.register(input, source(req), key));
  });

  router.get('/api/hosts/me', credentialNotBlocked, async (req, res) => {
    res.json(await enrolment.describe(await enrolment.authenticate(bearer(req))));
  });
  router.post('/api/hosts/heartbeat', credentialNotBlocked, ...jsonBody(), async (req, res) => {
    await enrolment.heartbeat(await enrolment.authenticate(bearer(req)), source(req));
    res.status(204).end();
  });
  router.post('/api/hosts/credentials/rotate', credentialNotBlocked, ...jsonBody(), async (req, res) => {
    res.json(await enrolment.rotate(await enrolment.authenticate(bearer(req))));
  });

  // Count the refusal against its key, then let the shared handler answer it.
  const countRefusal: ErrorRequestHandler = (error, req, res, next) => {
    // Unknown errors are Gatehouse's fault, not the caller's: they never count.
    const apiError = toApiError(error, () => {});
    if (res.locals.settle) {
      settle(res, isGuess(apiError));
      deps.metrics?.countRegistration(apiError.code);
    } else if (apiError.code === 'UNAUTHORIZED') limiter.recordFailure(credentialKey(req));
    next(error);
  };
  const outer = Router();
  outer.use(router);
  outer.use('/api/hosts', countRefusal);
  return outer;
}
