import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { isErrorBody } from '../../../shared/api/errors';
import { operations, type OperationName } from '../../../shared/api/operations';
import {
  MissingParameterError,
  PinMismatchError,
  requestFor as sharedRequestFor,
  send,
  type Answer,
  type Target,
} from '../remote/pinned-https';

/**
 * Exit codes of `gatehouse`, one per kind of failure, so a script can tell
 * "sign in again" from "that host is gone" from "the server is down".
 */
export const EXIT = {
  ok: 0,
  usage: 2,
  unauthorized: 3,
  forbidden: 4,
  notFound: 5,
  refused: 6,
  unavailable: 7,
} as const;

/** A failed call: the contract's code and sentence, and the exit code that says what failed. */
export class CliError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** The exit code for an HTTP status the server answered with. */
export function exitCodeForStatus(status: number): number {
  if (status === 401) return EXIT.unauthorized;
  if (status === 403) return EXIT.forbidden;
  if (status === 404) return EXIT.notFound;
  if (status >= 400 && status < 500) return EXIT.refused;
  return EXIT.unavailable;
}

export type { Target } from '../remote/pinned-https';

export interface TargetOptions {
  dataDir?: string;
  server?: string;
  pin?: string;
}

const isLoopback = (hostname: string) => {
  const host = hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
};

/**
 * Finds the server: `--data-dir DIR` reads DIR/endpoint.json (admin_url) and DIR/admin-token;
 * `--server URL --pin FINGERPRINT` takes the credential from GATEHOUSE_CREDENTIAL. A
 * GATEHOUSE_CREDENTIAL set beside `--data-dir` is used instead of the admin token, so a
 * script can act under its own name and scope on the local server too.
 */
export function resolveTarget(options: TargetOptions, env: NodeJS.ProcessEnv): Target {
  const credential = env.GATEHOUSE_CREDENTIAL?.trim() || undefined;
  if (options.server && options.dataDir) {
    throw new CliError('USAGE', 'Give either --data-dir or --server, not both.', EXIT.usage);
  }
  if (options.server) {
    let url: URL;
    try {
      url = new URL(options.server);
    } catch {
      throw new CliError(
        'USAGE',
        `--server must be a URL such as https://gatehouse.lab:7444, not ${options.server}`,
        EXIT.usage,
      );
    }
    if (url.protocol === 'https:' && !options.pin) {
      throw new CliError(
        'USAGE',
        '--server with https needs --pin FINGERPRINT (the tls_fingerprint the server prints), so the credential only ever reaches that server.',
        EXIT.usage,
      );
    }
    if (url.protocol === 'http:' && !isLoopback(url.hostname)) {
      throw new CliError(
        'USAGE',
        '--server over plain http is only for loopback addresses; use https with --pin.',
        EXIT.usage,
      );
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new CliError('USAGE', '--server must be an http(s):// URL.', EXIT.usage);
    }
    if (!credential) {
      throw new CliError(
        'UNAUTHORIZED',
        'Set GATEHOUSE_CREDENTIAL to a named admin credential (gha_…) to use --server.',
        EXIT.unauthorized,
      );
    }
    return { url: url.origin, bearer: credential, pin: options.pin };
  }
  if (!options.dataDir) {
    throw new CliError(
      'USAGE',
      'Say which Gatehouse: --data-dir DIR (a local server) or --server URL --pin FINGERPRINT.',
      EXIT.usage,
    );
  }
  let adminUrl: string;
  let pin: string | undefined;
  try {
    const endpoint = JSON.parse(readFileSync(join(options.dataDir, 'endpoint.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    if (typeof endpoint.admin_url !== 'string') throw new Error('no admin_url');
    adminUrl = endpoint.admin_url;
    // An HTTPS admin listener (team mode) is pinned like the LAN one, by the fingerprint the server wrote.
    const fingerprint = endpoint.admin_tls_fingerprint ?? endpoint.tls_fingerprint;
    if (adminUrl.startsWith('https:')) pin = options.pin ?? (typeof fingerprint === 'string' ? fingerprint : undefined);
  } catch {
    throw new CliError(
      'UNAVAILABLE',
      `No running Gatehouse found in ${options.dataDir} (endpoint.json is missing or unreadable); start it with npm run serve -- --data-dir ${options.dataDir}.`,
      EXIT.unavailable,
    );
  }
  if (credential) return { url: adminUrl, bearer: credential, pin };
  try {
    return { url: adminUrl, bearer: readFileSync(join(options.dataDir, 'admin-token'), 'utf8').trim(), pin };
  } catch {
    throw new CliError(
      'UNAUTHORIZED',
      `Cannot read ${join(options.dataDir, 'admin-token')}; run as the user that runs the server, or set GATEHOUSE_CREDENTIAL.`,
      EXIT.unauthorized,
    );
  }
}

export { spkiPin, pinnedAgent, type Answer } from '../remote/pinned-https';

/** The request an operation makes, from the operation table; a missing path parameter is a usage error. */
export function requestFor(
  name: OperationName,
  input: Record<string, unknown>,
): { method: string; path: string; body?: string } {
  try {
    return sharedRequestFor(name, input);
  } catch (error) {
    if (error instanceof MissingParameterError) throw new CliError('USAGE', error.message, EXIT.usage);
    throw error;
  }
}

/**
 * Calls one admin operation. Success is the parsed JSON (or, for raw operations, the
 * text as `{content_type, data}`); a refusal throws a CliError carrying the contract's
 * code and sentence; a server that cannot be reached is `UNAVAILABLE`.
 */
export async function callOperation(
  target: Target,
  name: OperationName,
  input: Record<string, unknown>,
): Promise<unknown> {
  const { method, path, body } = requestFor(name, input);
  let answer: Answer;
  try {
    answer = await send(target, method, path, body);
  } catch (error) {
    if (error instanceof CliError) throw error;
    if (error instanceof PinMismatchError) {
      throw new CliError(
        'PIN_MISMATCH',
        `The server's public key (sha256//${error.actual || 'none'}) does not match --pin; refusing to send the credential.`,
        EXIT.unavailable,
      );
    }
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new CliError(
      'UNAVAILABLE',
      `Cannot reach Gatehouse at ${target.url} (${reason}); is the server running?`,
      EXIT.unavailable,
    );
  }
  const text = answer.body.toString('utf8');
  if (answer.status >= 400) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (isErrorBody(parsed))
      throw new CliError(parsed.error.code, parsed.error.message, exitCodeForStatus(answer.status));
    throw new CliError(
      'HTTP_' + answer.status,
      `The server answered ${answer.status}.`,
      exitCodeForStatus(answer.status),
    );
  }
  if (answer.status === 204) return undefined;
  if (operations[name].raw) return { content_type: answer.contentType, data: text };
  return JSON.parse(text) as unknown;
}
