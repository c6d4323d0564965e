import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import { ApiError } from '../../../../shared/api/errors';
import { createFailureLimiter } from '../../security/failure-limiter';
import { hashSecret, secretsEqual } from '../../security/secrets';
import { systemClock, type Clock } from '../../services/clock';
import { sendError } from '../middleware/errors';
import { sendSignInPage } from './sign-in-page';
import type { AdminIdentity } from '../../services/credential-service';

/** How long sign-in lasts and how much of it the listener keeps. */
export interface AdminAuthLimits {
  /** A login code works once, within this long of being minted. */
  loginCodeTtlMs: number;
  /** Login codes outstanding at once; minting past this drops the oldest. */
  maxLoginCodes: number;
  /** A session unused for this long is over. */
  sessionIdleMs: number;
  /** A session is over this long after sign-in, however busy. */
  sessionMaxAgeMs: number;
  /** Sessions kept at once; signing in past this ends the least recently used. */
  maxSessions: number;
  /** Refused sign-ins (bad token or code) per window before 429. */
  failureLimit: number;
  failureWindowMs: number;
}

export const DEFAULT_AUTH_LIMITS: AdminAuthLimits = {
  loginCodeTtlMs: 60_000,
  maxLoginCodes: 16,
  sessionIdleMs: 12 * 3_600_000,
  sessionMaxAgeMs: 7 * 24 * 3_600_000,
  maxSessions: 64,
  failureLimit: 10,
  failureWindowMs: 60_000,
};

export interface AdminAuthOptions {
  adminToken: string;
  /**
   * The listener's port (known after listen). Cookies ignore ports, so the session
   * cookie is named after it: two Gatehouses on one host never overwrite each other's.
   * Without it the name carries a random instance id.
   */
  port?: () => number;
  clock?: Clock;
  /** Named on the sign-in page and in refusals, so the admin knows where to look. */
  dataDir?: string;
  /** A code minted elsewhere to accept once, as the first login code. */
  loginCode?: string;
  limits?: Partial<AdminAuthLimits>;
  /** Named admin credentials (`gha_…`): the identity and scope behind one, if it is valid. */
  verifyCredential?: (secret: string) => Promise<AdminIdentity | undefined>;
  /**
   * Team mode (--admin-bind): the listener is reachable from other machines, so the
   * data-dir admin token, login codes and sessions count only from this machine's own
   * loopback (127.0.0.1, ::1); anyone else needs a named credential.
   */
  ownerOnLoopbackOnly?: boolean;
}

/** This machine's own loopback address as the peer: where the data-dir admin token may come from. */
export function fromOwnLoopback(req: Request): boolean {
  const peer = req.socket.remoteAddress ?? '';
  return peer === '127.0.0.1' || peer === '::1' || peer === '::ffff:127.0.0.1';
}

/** The data-dir admin token and browser sessions act with full rights, as "admin". */
const OWNER: AdminIdentity = { actor: 'admin', scope: 'admin' };

/** Who made this admin request; set by `requireAdmin`. */
export function identityOf(res: Response): AdminIdentity {
  return (res.locals.identity as AdminIdentity | undefined) ?? OWNER;
}

interface Session {
  createdAt: number;
  lastUsedAt: number;
}

const LOGIN_FAILURES = 'admin-sign-in';

function readCookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Map key for a secret: its SHA-256, so a look-up reveals nothing about the secret through timing. */
const keyOf = (secret: string) => hashSecret(secret).toString('hex');

/** A browser navigation (or a client asking for HTML), as opposed to an API call. */
function wantsHtml(req: Request): boolean {
  return req.headers['sec-fetch-dest'] === 'document' || (req.headers.accept ?? '').includes('text/html');
}

/**
 * Who may use the admin listener. A caller proves itself with the admin bearer token
 * (scripts, curl) or a session cookie, got by opening a login URL (a single-use code
 * valid for a minute) or by posting the admin token to `/login` (the sign-in page).
 *
 * Invariants: only hashes of session ids and login codes are kept; the store holds at
 * most `maxSessions` sessions and `maxLoginCodes` codes; every refused sign-in counts
 * against one limiter (the listener is loopback-only, so there is one source).
 */
export function createAdminAuth(options: AdminAuthOptions) {
  const limits = { ...DEFAULT_AUTH_LIMITS, ...options.limits };
  const clock = options.clock ?? systemClock;
  const instanceId = randomBytes(6).toString('hex');
  const codes = new Map<string, number>();
  /** Keyed by hash of the session id; insertion order is least recently used first. */
  const sessions = new Map<string, Session>();
  const failures = createFailureLimiter({
    limit: limits.failureLimit,
    windowMs: limits.failureWindowMs,
    clock,
  });
  const adminTokenFile = options.dataDir ? join(options.dataDir, 'admin-token') : 'admin-token in the data directory';

  const cookieName = () => `gatehouse_session_${options.port ? options.port() : instanceId}`;

  function newLoginCode(): string {
    const now = clock.now();
    for (const [key, expiresAt] of codes) if (expiresAt <= now) codes.delete(key);
    while (codes.size >= limits.maxLoginCodes) codes.delete(codes.keys().next().value!);
    const code = randomBytes(24).toString('base64url');
    codes.set(keyOf(code), now + limits.loginCodeTtlMs);
    return code;
  }
  if (options.loginCode) codes.set(keyOf(options.loginCode), clock.now() + limits.loginCodeTtlMs);

  /** Spends a login code: true at most once per code, and only within its lifetime. */
  function redeemCode(code: string): boolean {
    const key = keyOf(code);
    const expiresAt = codes.get(key);
    codes.delete(key);
    return expiresAt !== undefined && clock.now() < expiresAt;
  }

  /** The live session this request carries, touched as used; expired ones are dropped on sight. */
  function sessionKey(req: Request): string | undefined {
    const id = readCookie(req, cookieName());
    if (!id) return undefined;
    const key = keyOf(id);
    const session = sessions.get(key);
    if (!session) return undefined;
    const now = clock.now();
    sessions.delete(key);
    if (now - session.lastUsedAt >= limits.sessionIdleMs || now - session.createdAt >= limits.sessionMaxAgeMs) {
      return undefined;
    }
    session.lastUsedAt = now;
    sessions.set(key, session);
    return key;
  }

  function startSession(res: Response): void {
    const now = clock.now();
    while (sessions.size >= limits.maxSessions) sessions.delete(sessions.keys().next().value!);
    const id = randomBytes(32).toString('base64url');
    sessions.set(keyOf(id), { createdAt: now, lastUsedAt: now });
    const maxAge = Math.floor(limits.sessionMaxAgeMs / 1000);
    res.setHeader('Set-Cookie', `${cookieName()}=${id}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${maxAge}`);
  }

  const hasBearer = (req: Request): boolean => {
    const header = req.headers.authorization;
    return header?.startsWith('Bearer ') === true && secretsEqual(header.slice(7).trim(), options.adminToken);
  };

  const ownerAllowed = (req: Request): boolean => !options.ownerOnLoopbackOnly || fromOwnLoopback(req);
  const isAdmin = (req: Request): boolean => ownerAllowed(req) && (hasBearer(req) || sessionKey(req) !== undefined);

  /** A refusal in the form the caller reads: the sign-in page for a browser, the error body otherwise. */
  function refuse(req: Request, res: Response, error: ApiError): void {
    if (!wantsHtml(req) || req.is('application/json')) return sendError(res, error);
    if (error.retryAfterSeconds) res.setHeader('Retry-After', String(error.retryAfterSeconds));
    sendSignInPage(res, error.status, { dataDir: options.dataDir, notice: error.message });
  }

  function rateLimited(): ApiError | undefined {
    const wait = failures.retryAfter(LOGIN_FAILURES);
    if (wait === 0) return undefined;
    return new ApiError('RATE_LIMITED', `Too many failed sign-ins; try again in ${wait} seconds.`, undefined, wait);
  }

  const bearerOf = (req: Request) => {
    const header = req.headers.authorization;
    return header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
  };

  /** Resolves who is calling (admin token, named credential or session), or answers 401. */
  const requireAdmin: RequestHandler = (req, res, next) => {
    const secret = bearerOf(req);
    const refuse401 = () =>
      sendError(
        res,
        new ApiError(
          'UNAUTHORIZED',
          'Sign in: send the admin token or a named credential as a Bearer header, or open login_url.',
        ),
      );
    if (isAdmin(req)) {
      res.locals.identity = OWNER;
      return next();
    }
    if (!secret || !options.verifyCredential) return refuse401();
    options.verifyCredential(secret).then((identity) => {
      if (!identity) return refuse401();
      res.locals.identity = identity;
      next();
    }, next);
  };

  /** `GET /login?code=…` trades a fresh login code for a session cookie and sends the browser to the UI. */
  const login: RequestHandler = (req, res) => {
    const code = typeof req.query.code === 'string' ? req.query.code : '';
    if (!code) {
      if (sessionKey(req)) return void res.redirect(303, '/');
      return sendSignInPage(res, 200, { dataDir: options.dataDir });
    }
    const limited = rateLimited();
    if (limited) return refuse(req, res, limited);
    if (!ownerAllowed(req) || !redeemCode(code)) {
      failures.recordFailure(LOGIN_FAILURES);
      return refuse(
        req,
        res,
        new ApiError(
          'UNAUTHORIZED',
          'This sign-in link was already used or is more than a minute old. ' +
            `Open the fresh login_url that \`npm run serve\` prints when run again, or sign in with the admin token from ${adminTokenFile}.`,
        ),
      );
    }
    startSession(res);
    res.redirect(303, '/');
  };

  /** `POST /login` with the admin token (form field or JSON `{token}`): a session cookie, as login_url gives. */
  const tokenLoginHandler: RequestHandler = (req, res) => {
    const limited = rateLimited();
    if (limited) return refuse(req, res, limited);
    const body = req.body as { token?: unknown } | undefined;
    const token = typeof body?.token === 'string' ? body.token.trim() : '';
    if (!token) {
      return refuse(
        req,
        res,
        new ApiError('VALIDATION_FAILED', 'token is required: paste the admin token as the field "token".'),
      );
    }
    if (!ownerAllowed(req) || !secretsEqual(token, options.adminToken)) {
      failures.recordFailure(LOGIN_FAILURES);
      return refuse(
        req,
        res,
        new ApiError('UNAUTHORIZED', `That is not this Gatehouse's admin token; copy it again from ${adminTokenFile}.`),
      );
    }
    startSession(res);
    if (req.is('application/json')) res.status(204).end();
    else res.redirect(303, '/');
  };
  const tokenLogin: RequestHandler[] = [
    express.urlencoded({ extended: false, limit: '4kb' }),
    express.json({ limit: '4kb', strict: true }),
    tokenLoginHandler,
  ];

  /** `POST /api/admin/logout`: ends this browser's session (if any) and clears its cookie. */
  const logout: RequestHandler = (req, res) => {
    const key = sessionKey(req);
    if (key) sessions.delete(key);
    res.setHeader('Set-Cookie', `${cookieName()}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`);
    res.status(204).end();
  };

  /**
   * In front of the UI: a browser navigating to any page without a session gets the
   * sign-in page instead of an app that can only show errors. API calls pass through.
   */
  const signInGate: RequestHandler = (req, res, next) => {
    const page = (req.method === 'GET' || req.method === 'HEAD') && !req.path.startsWith('/api/');
    if (!page || !wantsHtml(req) || isAdmin(req)) return next();
    sendSignInPage(res, 200, { dataDir: options.dataDir });
  };

  /** Every sign-in route, mounted before the `/api/admin` guard and the UI. */
  const routes = Router();
  routes.get('/login', login);
  routes.post('/login', ...tokenLogin);
  routes.post('/api/admin/logout', logout);
  routes.use(signInGate);

  return {
    cookieName,
    newLoginCode,
    /** `<adminUrl>/login?code=<fresh code>`: mint one each time the URL is shown or written. */
    loginUrl: (adminUrl: string) => `${adminUrl}/login?code=${newLoginCode()}`,
    isAdmin,
    requireAdmin,
    login,
    tokenLogin,
    logout,
    signInGate,
    routes,
    /** Live sessions, for tests and a status view. */
    sessionCount: () => sessions.size,
  };
}

export type AdminAuth = ReturnType<typeof createAdminAuth>;

/**
 * Refuses requests whose Host or Origin is not this listener's own, and any the
 * browser marks as coming from another site or another port of this host
 * (`Sec-Fetch-Site` other than `same-origin` or `none`): a web page in the admin's
 * browser (or a DNS-rebinding name) can then never reach the admin listener.
 * Requests without the header (curl, scripts) pass.
 */
export function sameOriginOnly(port: () => number, bound?: { host: string; https: boolean }): RequestHandler {
  return (req, res, next) => {
    const p = port();
    const allowed = [`127.0.0.1:${p}`, `localhost:${p}`, `[::1]:${p}`];
    const scheme = bound?.https ? 'https' : 'http';
    // Team mode (--admin-bind): the bound address is the listener's own origin too.
    if (bound) allowed.push(bound.host.includes(':') ? `[${bound.host}]:${p}` : `${bound.host}:${p}`);
    const host = req.headers.host ?? '';
    const origin = req.headers.origin;
    const fetchSite = req.headers['sec-fetch-site'];
    const originOk = origin === undefined || allowed.some((a) => origin === `${scheme}://${a}`);
    const siteOk = fetchSite === undefined || fetchSite === 'same-origin' || fetchSite === 'none';
    if (allowed.includes(host) && originOk && siteOk) return next();
    sendError(res, new ApiError('FORBIDDEN', 'The admin API only answers its own origin.'));
  };
}
