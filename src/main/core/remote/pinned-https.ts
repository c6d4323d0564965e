import { X509Certificate, createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import tls from 'node:tls';
import { operations, type OperationName } from '../../../shared/api/operations';

/**
 * The pinned HTTPS client every remote caller of a Gatehouse admin API shares: the
 * `gatehouse` CLI (`--server --pin`) and the desktop app attached to a team server.
 */

/** Where the server is and who we are to it. */
export interface Target {
  url: string;
  bearer: string;
  /** base64 SHA-256 of the server certificate's SubjectPublicKeyInfo; required for https. */
  pin?: string;
}

/** The server's public key did not match the pin: nothing was sent to it. */
export class PinMismatchError extends Error {
  readonly code = 'PIN_MISMATCH';
  constructor(readonly actual: string) {
    super(
      `The server's public key (sha256//${actual || 'none'}) does not match the pin; refusing to send the credential.`,
    );
    this.name = 'PinMismatchError';
  }
}

/** An operation's path needs a parameter the input does not have. */
export class MissingParameterError extends Error {
  constructor(
    readonly operation: OperationName,
    readonly parameter: string,
  ) {
    super(`${operation} needs ${parameter}.`);
    this.name = 'MissingParameterError';
  }
}

/** The form `curl --pinnedpubkey sha256//…` takes: base64 SHA-256 of the certificate's SPKI. */
export function spkiPin(certDer: Buffer): string {
  const spki = new X509Certificate(certDer).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}

/** Accepts the pin as printed (`sha256//…`) or bare. */
export const normalisePin = (pin: string) => pin.trim().replace(/^sha256\/\//, '');

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
        done(new PinMismatchError(actual));
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

/**
 * Opens a request to the target: pinned when https, with the bearer. `onResponse` gets
 * the live response (the event stream reads it as it comes); the request is returned so
 * the caller can abort it.
 */
export function openRequest(
  target: Target,
  method: string,
  path: string,
  body: string | undefined,
  accept: string,
  onResponse: (response: http.IncomingMessage) => void,
  onError: (error: Error) => void,
): http.ClientRequest {
  const url = new URL(path, target.url);
  const secure = url.protocol === 'https:';
  const headers: Record<string, string> = { Authorization: `Bearer ${target.bearer}`, Accept: accept };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    headers['Content-Length'] = String(Buffer.byteLength(body));
  }
  const request = (secure ? https : http).request(
    url,
    { method, headers, ...(secure ? { agent: pinnedAgent(target.pin ?? '') } : {}) },
    onResponse,
  );
  request.on('error', onError);
  request.end(body);
  return request;
}

/** Sends one request and reads the whole answer. */
export function send(target: Target, method: string, path: string, body: string | undefined): Promise<Answer> {
  return new Promise((resolve, reject) => {
    openRequest(
      target,
      method,
      path,
      body,
      'application/json',
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
      reject,
    );
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
    if (value === undefined) throw new MissingParameterError(name, key);
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
