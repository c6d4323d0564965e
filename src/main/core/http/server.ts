import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import type { TlsMaterial } from '../security/tls-certificate';

/** Starts `app` on host:port (0 picks a free port) and resolves once it accepts connections. */
export function listen(app: Express, options: { host: string; port: number; tls?: TlsMaterial }): Promise<Server> {
  const server = options.tls
    ? createHttpsServer({ key: options.tls.key, cert: options.tls.cert, minVersion: 'TLSv1.2' }, app)
    : createHttpServer(app);
  // Slow-loris guards: a client gets 10 s for its headers and 30 s for a request.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 5_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

export function portOf(server: Server): number {
  return (server.address() as AddressInfo).port;
}

/** Stops accepting, ends idle keep-alive sockets and long-lived streams, resolves when closed. */
export function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** `http(s)://host:port` with IPv6 literals bracketed. */
export function urlOf(protocol: 'http' | 'https', host: string, port: number): string {
  return `${protocol}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
