import { X509Certificate, createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { isIP, type Socket } from 'node:net';
import tls from 'node:tls';
import { join } from 'node:path';
import { isErrorBody } from '../../../shared/api/errors';
import { operations, type OperationName } from '../../../shared/api/operations';

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

/** Where the server is and who we are to it. */
export interface Target {
  url: string;
  bearer: string;
  /** base64 SHA-256 of the server certificate's SubjectPublicKeyInfo; required for https. */
  pin?: string;
}

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

/** The form `curl --pinnedpubkey sha256//…` takes: base64 SHA-256 of the certificate's SPKI. */
export function spkiPin(certDer: Buffer): string {
  const spki = new X509Certificate(certDer).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}

const normalisePin = (pin: string) => pin.trim().replace(/^sha256\/\//, '');

/**
 * An agent that hands a socket to a request only after the server's public key matched
 * the pin: the certificate is self-signed, so the usual chain check cannot apply, and a
 * request (with its bearer) must never be written to a server that failed the pin.
 * No session reuse, so every connection shows its certificate.
 */
export function pinnedAgent(pin: string): https.Agent {
  const expected = normalisePin(pin);
  const agent = new https.Agent({ keepAlive: false, maxCachedSessions: 0 });
  (agent as unknown as { createConnection: unknown }).createConnection = (
    options: tls.ConnectionOptions,
    done: (error: Error | null, socket?: Socket) => void,
  ) => {
    const socket = tls.connect({ ...options, rejectUnauthorized: false });
    socket.once('error', (error) => done(error));
    socket.once('secureConnect', () => {
      const cert = socket.getPeerCertificate(false);
      const actual = cert?.raw ? spkiPin(cert.raw) : '';
      if (actual !== expected) {
        socket.destroy();
        done(
          new CliError(
            'PIN_MISMATCH',
            `The server's public key (sha256//${actual || 'none'}) does not match --pin; refusing to send the credential.`,
            EXIT.unavailable,
          ),
        );
        return;
      }
      done(null, socket);
    });
    return undefined;
  };
  return agent;
}

/** One HTTP answer, whole. */
export interface Answer {
  status: number;
  contentType: string;
  body: Buffer;
}

function send(target: Target, method: string, path: string, body: string | undefined): Promise<Answer> {
  const url = new URL(path, target.url);
  const secure = url.protocol === 'https:';
  const headers: Record<string, string> = { Authorization: `Bearer ${target.bearer}`, Accept: 'application/json' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    headers['Content-Length'] = String(Buffer.byteLength(body));
  }
  return new Promise((resolve, reject) => {
    const request = (secure ? https : http).request(
      url,
      { method, headers, ...(secure ? { agent: pinnedAgent(target.pin ?? '') } : {}) },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (c: Buffer) => chunks.push(c));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            contentType: String(response.headers['content-type'] ?? ''),
            body: Buffer.concat(chunks),
          }),
        );
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

/** The request an operation makes, from the operation table: path parameters filled, the rest as query or body. */
export function requestFor(
  name: OperationName,
  input: Record<string, unknown>,
): { method: string; path: string; body?: string } {
  const spec = operations[name];
  const rest = { ...input };
  const path = spec.path.replace(/:([a-z_]+)/g, (_m, key: string) => {
    const value = rest[key];
    delete rest[key];
    if (value === undefined) throw new CliError('USAGE', `${name} needs ${key}.`, EXIT.usage);
    return encodeURIComponent(String(value));
  });
  if (spec.method === 'POST') return { method: spec.method, path, body: JSON.stringify(rest) };
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(rest)) {
    if (value === undefined) continue;
    query.set(key, Array.isArray(value) ? value.join(',') : String(value));
  }
  const qs = query.toString();
  return { method: spec.method, path: qs ? `${path}?${qs}` : path };
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
