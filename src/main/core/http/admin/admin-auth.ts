import { randomBytes } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { ApiError } from '../../../../shared/api/errors';
import { secretsEqual } from '../../security/secrets';
import { sendError } from '../middleware/errors';

export const SESSION_COOKIE = 'gatehouse_session';

function readCookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

/**
 * Who may use the admin listener. A caller proves itself with the admin bearer token
 * (scripts, curl) or a session cookie obtained through `login_url` (the browser UI).
 */
export function createAdminAuth(options: { adminToken: string; loginCode: string }) {
  const sessions = new Set<string>();

  const isAdmin = (req: Request): boolean => {
    const header = req.headers.authorization;
    if (header?.startsWith('Bearer ')) return secretsEqual(header.slice(7).trim(), options.adminToken);
    const session = readCookie(req, SESSION_COOKIE);
    return session !== undefined && [...sessions].some((s) => secretsEqual(session, s));
  };

  const requireAdmin: RequestHandler = (req, res, next) => {
    if (isAdmin(req)) return next();
    sendError(
      res,
      new ApiError('UNAUTHORIZED', 'Sign in: send the admin token as a Bearer header, or open login_url.'),
    );
  };

  /** `GET /login?code=…` trades the login code for an HttpOnly, SameSite=Strict session cookie. */
  const login: RequestHandler = (req, res) => {
    const code = typeof req.query.code === 'string' ? req.query.code : '';
    if (!secretsEqual(code, options.loginCode)) {
      sendError(
        res,
        new ApiError('UNAUTHORIZED', 'This sign-in link is not valid; open login_url from endpoint.json.'),
      );
      return;
    }
    const session = randomBytes(32).toString('base64url');
    sessions.add(session);
    res.setHeader('Set-Cookie', `${SESSION_COOKIE}=${session}; HttpOnly; SameSite=Strict; Path=/`);
    res.redirect(303, '/');
  };

  return { requireAdmin, login };
}

/**
 * Refuses requests whose Host or Origin is not this listener's own: a web page in
 * the admin's browser (or a DNS-rebinding name) can then never reach the admin API.
 */
export function sameOriginOnly(port: () => number): RequestHandler {
  return (req, res, next) => {
    const p = port();
    const allowed = [`127.0.0.1:${p}`, `localhost:${p}`, `[::1]:${p}`];
    const host = req.headers.host ?? '';
    const origin = req.headers.origin;
    const originOk = origin === undefined || allowed.some((a) => origin === `http://${a}`);
    const fetchSite = req.headers['sec-fetch-site'];
    if (allowed.includes(host) && originOk && fetchSite !== 'cross-site') return next();
    sendError(res, new ApiError('FORBIDDEN', 'The admin API only answers its own loopback origin.'));
  };
}
