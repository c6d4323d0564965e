import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer, type ServerOptions } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { SecureContextOptions } from 'node:tls';
import type { Express } from 'express';
import type { TlsMaterial } from '../security/tls-certificate';
import {
  DEFAULT_CONNECTION_LIMITS,
  guardConnections,
  type ConnectionLimits,
  type ConnectionStats,
} from './connection-guard';

export { DEFAULT_CONNECTION_LIMITS, type ConnectionLimits, type ConnectionStats } from './connection-guard';

/** How long a socket may take at each stage before the server closes it. */
export interface ConnectionTimeouts {
  /** TCP accept to finished TLS handshake. */
  handshakeMs: number;
  /** Connection (or previous response) to a complete request header. */
  headersMs: number;
  /** Connection to a complete request body. */
  requestMs: number;
  /** Idle keep-alive socket between requests. */
  keepAliveMs: number;
  /**
   * No byte read or written: covers what the HTTP timers do not, such as a socket that
   * finished the TLS handshake and never sent a byte, or a handler that never answers.
   */
  idleMs: number;
}

/** Seconds, not minutes: hosts send one small request per heartbeat; nothing legitimate is slow. */
export const DEFAULT_TIMEOUTS: Readonly<ConnectionTimeouts> = Object.freeze({
  handshakeMs: 5_000,
  headersMs: 10_000,
  requestMs: 30_000,
  keepAliveMs: 5_000,
  idleMs: 10_000,
});

/**
 * TLS 1.3, and TLS 1.2 with ephemeral ECDH and AEAD only (no CBC: LUCKY13; no static RSA:
 * no forward secrecy). The certificate is ECDSA; the ECDHE-RSA suites are listed only so a
 * future RSA key would still negotiate the same strength.
 */
export const TLS_CIPHERS = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

/** Session IDs and tickets live this long; a heartbeat every minute or so resumes within it. */
const SESSION_LIFETIME_S = 300;
/** Full handshakes cost an ECDSA signature each; a few thousand cached sessions are ~2 MB. */
export const SESSION_CACHE_ENTRIES = 4_096;
/** Ticket keys are rotated so a stolen key opens at most this much recorded traffic. */
const TICKET_KEY_ROTATION_MS = 12 * 60 * 60_000;

/** The TLS settings the LAN listener runs with, also re-applied on every certificate swap. */
export function hardenedTlsOptions(): SecureContextOptions & { honorCipherOrder: boolean } {
  return {
    minVersion: 'TLSv1.2',
    ciphers: TLS_CIPHERS,
    ecdhCurve: 'X25519:prime256v1:secp384r1',
    honorCipherOrder: true,
    // Session-ID resumption needs a context id; a fixed one keeps sessions valid across key swaps.
    sessionIdContext: 'gatehouse-lan',
    sessionTimeout: SESSION_LIFETIME_S,
  };
}

export interface ListenOptions {
  host: string;
  port: number;
  tls?: TlsMaterial;
  limits?: Partial<ConnectionLimits>;
  timeouts?: Partial<ConnectionTimeouts>;
  /**
   * Responses whose socket may stay quiet past `idleMs` while they are still being written: by
   * default Server-Sent Events (`Content-Type: text/event-stream`, as GET /api/admin/events
   * sends), which write a comment only every 15 s and may otherwise sit silent between events.
   */
  longLived?: (res: ServerResponse) => boolean;
}

const isEventStream = (res: ServerResponse) =>
  /^text\/event-stream\b/i.test(String(res.getHeader('content-type') ?? ''));

/** A stream whose reader stopped reading is not kept past this much unsent data. */
const STALLED_STREAM_BYTES = 64 * 1024;

const guards = new WeakMap<Server, ReturnType<typeof guardConnections>>();

/**
 * Starts `app` on host:port (0 picks a free port) and resolves once it accepts connections.
 * Every socket is bounded in time (see {@link DEFAULT_TIMEOUTS}) and in number (see
 * {@link DEFAULT_CONNECTION_LIMITS}); with `tls`, the hardened TLS settings and session
 * resumption (tickets and session IDs) are on.
 */
export function listen(app: Express, options: ListenOptions): Promise<Server> {
  const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  const limits = { ...DEFAULT_CONNECTION_LIMITS, ...options.limits };
  const longLived = options.longLived ?? isEventStream;
  const httpOptions = {
    headersTimeout: timeouts.headersMs,
    requestTimeout: timeouts.requestMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    // Node checks the header and request timers on this interval (default 30 s, which would
    // let a slow client overstay its 10 s by up to three times).
    connectionsCheckingInterval: Math.max(250, Math.min(1_000, timeouts.headersMs / 4)),
  };
  const server = options.tls
    ? createTlsServer(app, options.tls, httpOptions, timeouts)
    : createHttpServer(httpOptions, app);
  // Node arms this on every new socket (after the handshake, for TLS). With a 'timeout'
  // listener on the server Node leaves the decision to it: a live event stream stays (the
  // timer fires again after the next quiet spell), everything else is destroyed.
  server.timeout = timeouts.idleMs;
  const responses = new WeakMap<Socket, ServerResponse>();
  server.on('timeout', (socket: Socket) => {
    const res = responses.get(socket);
    const streaming = res && res.headersSent && !res.writableEnded && longLived(res);
    if (streaming && socket.writableLength < STALLED_STREAM_BYTES) return;
    socket.destroy();
  });
  // Node disarms the socket timer when a keep-alive socket starts its next request: re-arm it.
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    req.socket.setTimeout(timeouts.idleMs);
    responses.set(req.socket, res);
  });
  guards.set(server, guardConnections(server, limits));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

function createTlsServer(
  app: Express,
  material: TlsMaterial,
  httpOptions: ServerOptions,
  timeouts: ConnectionTimeouts,
): HttpsServer {
  let ticketKeys = randomBytes(48);
  const server = createHttpsServer(
    {
      ...httpOptions,
      ...hardenedTlsOptions(),
      key: material.key,
      cert: material.cert,
      handshakeTimeout: timeouts.handshakeMs,
      ticketKeys,
    },
    app,
  );
  // setSecureContext starts from Node's defaults for whatever it is not given, which would
  // silently bring back CBC suites and drop session-ID resumption on a certificate swap.
  const setSecureContext = server.setSecureContext.bind(server);
  server.setSecureContext = (context) => {
    setSecureContext({ ...hardenedTlsOptions(), ...context });
    server.setTicketKeys(ticketKeys);
  };
  const rotation = setInterval(() => {
    ticketKeys = randomBytes(48);
    server.setTicketKeys(ticketKeys);
  }, TICKET_KEY_ROTATION_MS);
  rotation.unref();
  server.once('close', () => clearInterval(rotation));
  attachSessionCache(server, SESSION_CACHE_ENTRIES, SESSION_LIFETIME_S * 1_000);
  return server;
}

/**
 * Node's TLS server keeps no session-ID cache of its own: it asks these events. A bounded
 * map, oldest out first, so a flood of handshakes costs at most `maxEntries` sessions.
 */
function attachSessionCache(server: HttpsServer, maxEntries: number, lifetimeMs: number): void {
  const sessions = new Map<string, { data: Buffer; expires: number }>();
  server.on('newSession', (id: Buffer, data: Buffer, done: () => void) => {
    const key = id.toString('hex');
    sessions.delete(key);
    sessions.set(key, { data, expires: Date.now() + lifetimeMs });
    while (sessions.size > maxEntries) sessions.delete(sessions.keys().next().value!);
    done();
  });
  server.on('resumeSession', (id: Buffer, done: (error: Error | null, data: Buffer | null) => void) => {
    const key = id.toString('hex');
    const entry = sessions.get(key);
    if (entry && entry.expires > Date.now()) return done(null, entry.data);
    sessions.delete(key);
    done(null, null);
  });
  server.once('close', () => sessions.clear());
}

/** Sockets open and refused so far on a server started by {@link listen}. */
export function connectionStats(server: Server): ConnectionStats | undefined {
  return guards.get(server)?.stats();
}

export function portOf(server: Server): number {
  return (server.address() as AddressInfo).port;
}

/** Stops accepting, ends every socket (mid-handshake, keep-alive, long-lived streams), resolves when closed. */
export function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
    guards.get(server)?.destroyAll();
  });
}

/** `http(s)://host:port` with IPv6 literals bracketed. */
export function urlOf(protocol: 'http' | 'https', host: string, port: number): string {
  return `${protocol}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
