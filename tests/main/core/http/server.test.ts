import { connect as tcpConnect, type Socket } from 'node:net';
import { X509Certificate, constants } from 'node:crypto';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import type { Server } from 'node:http';
import express from 'express';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { close, connectionStats, listen, portOf, type ListenOptions } from '../../../../src/main/core/http/server';
import { expandIPv6, sourceKey } from '../../../../src/main/core/http/connection-guard';
import {
  generateCertificate,
  publicKeyFingerprint,
  type TlsMaterial,
} from '../../../../src/main/core/security/tls-certificate';

let material: TlsMaterial;
let other: TlsMaterial;
const servers: Server[] = [];
const sockets: Socket[] = [];

beforeAll(async () => {
  const [a, b] = await Promise.all([generateCertificate(), generateCertificate()]);
  material = { ...a, fingerprint: publicKeyFingerprint(a.cert) };
  other = { ...b, fingerprint: publicKeyFingerprint(b.cert) };
});
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(servers.splice(0).map(close));
});

function app() {
  const a = express();
  a.get('/ok', (_req, res) => res.send('ok'));
  a.get('/hang', () => undefined);
  a.get('/events', (req, res) => {
    res.set('Content-Type', 'text/event-stream').flushHeaders();
    const timer = setInterval(() => res.write(': keep-alive\n\n'), 1_500);
    req.on('close', () => clearInterval(timer));
  });
  return a;
}

async function start(options: Partial<ListenOptions> = {}): Promise<number> {
  const server = await listen(app(), { host: '127.0.0.1', port: 0, ...options });
  servers.push(server);
  return portOf(server);
}

/** A raw TCP socket from `localAddress`, resolved once connected. */
function openTcp(port: number, localAddress = '127.0.0.1'): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ port, host: '127.0.0.1', localAddress }, () => resolve(socket));
    socket.on('error', reject);
    sockets.push(socket);
  });
}

function openTls(port: number, options: ConnectionOptions = {}): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ port, host: '127.0.0.1', ca: material.cert, ...options }, () => resolve(socket));
    socket.once('error', reject);
    sockets.push(socket);
  });
}

/** Milliseconds until the server closes `socket` (resolves -1 if it is still open after `limitMs`). */
function closedWithin(socket: Socket, limitMs: number): Promise<number> {
  const started = Date.now();
  return new Promise((resolve) => {
    if (socket.destroyed || socket.readyState === 'closed') return resolve(0);
    const timer = setTimeout(() => resolve(-1), limitMs);
    socket.on('error', () => undefined);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(Date.now() - started);
    });
  });
}

const fast = { handshakeMs: 600, headersMs: 1_000, requestMs: 2_000, keepAliveMs: 500, idleMs: 800 };

describe('socket timeouts', () => {
  it('closes a TLS connection that finishes the handshake and then sends nothing', async () => {
    const port = await start({ tls: material, timeouts: fast });
    const socket = await openTls(port);
    const ms = await closedWithin(socket, 5_000);
    console.log(`silent TLS client closed after ${ms} ms (idle timeout ${fast.idleMs} ms)`);
    expect(ms).toBeGreaterThan(0);
  });

  it('closes a TCP connection that never starts the TLS handshake', async () => {
    const port = await start({ tls: material, timeouts: fast });
    const ms = await closedWithin(await openTcp(port), 5_000);
    console.log(`no-handshake TCP client closed after ${ms} ms (handshake timeout ${fast.handshakeMs} ms)`);
    expect(ms).toBeGreaterThan(0);
  });

  it('closes a plain-HTTP connection that sends nothing', async () => {
    const port = await start({ timeouts: fast });
    expect(await closedWithin(await openTcp(port), 5_000)).toBeGreaterThan(0);
  });

  it('closes a connection that trickles its header without ever finishing it', async () => {
    const port = await start({ timeouts: fast });
    const socket = await openTcp(port);
    socket.write('GET /ok HTTP/1.1\r\nHost: x\r\n');
    const trickle = setInterval(() => socket.writable && socket.write('X-Slow: 1\r\n'), 200);
    const ms = await closedWithin(socket, 6_000);
    clearInterval(trickle);
    console.log(`slow-header client closed after ${ms} ms (header timeout ${fast.headersMs} ms)`);
    expect(ms).toBeGreaterThan(0);
  });

  it('closes an idle keep-alive connection after its response', async () => {
    const port = await start({ tls: material, timeouts: { ...fast, idleMs: 60_000 } });
    const socket = await openTls(port);
    let reply = '';
    socket.on('data', (chunk) => (reply += chunk));
    socket.write('GET /ok HTTP/1.1\r\nHost: x\r\n\r\n');
    const ms = await closedWithin(socket, 5_000);
    expect(reply).toMatch(/^HTTP\/1.1 200/);
    expect(reply).toContain('Keep-Alive: timeout=');
    expect(ms).toBeGreaterThan(0);
  });

  it('closes a keep-alive socket whose second request is never answered', async () => {
    const port = await start({ timeouts: { ...fast, headersMs: 60_000, requestMs: 120_000, keepAliveMs: 60_000 } });
    const socket = await openTcp(port);
    let reply = '';
    socket.on('data', (chunk) => (reply += chunk));
    socket.write('GET /ok HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise((r) => setTimeout(r, 100));
    // Node lifts the socket timer when a keep-alive socket starts its next request; only a
    // re-armed idle timer can end this one.
    socket.write('GET /hang HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(await closedWithin(socket, 5_000)).toBeGreaterThan(0);
    expect(reply.match(/HTTP\/1.1 200/g)).toHaveLength(1);
  });

  it('keeps a Server-Sent Events stream open past the idle timeout', async () => {
    const port = await start({ tls: material, timeouts: fast });
    const socket = await openTls(port);
    let received = '';
    socket.on('data', (chunk) => (received += chunk));
    // No Accept header, as curl sends it: the response's content type is what counts.
    socket.write('GET /events HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(await closedWithin(socket, 4_000)).toBe(-1);
    expect(received.match(/: keep-alive/g)!.length).toBeGreaterThanOrEqual(2);
  });
});

describe('closing', () => {
  it('ends sockets still in their TLS handshake at once', async () => {
    const port = await start({ tls: material, timeouts: { ...fast, handshakeMs: 60_000 } });
    const socket = await openTcp(port);
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    await close(servers.pop()!);
    console.log(`closed with a socket mid-handshake in ${Date.now() - started} ms (handshake timeout 60 s)`);
    // Without it, close() would wait for the 60 s handshake timeout and the test would time out.
    expect(await closedWithin(socket, 1_000)).toBeGreaterThanOrEqual(0);
  });
});

describe('connection caps', () => {
  it('destroys sockets over the per-source cap at once and still serves another source', async () => {
    const port = await start({ limits: { maxConnectionsPerSource: 3 } });
    const held = await Promise.all([1, 2, 3, 4, 5].map(() => openTcp(port, '127.0.0.2')));
    const closed = await Promise.all(held.map((s) => closedWithin(s, 2_000)));
    expect(closed.filter((ms) => ms >= 0)).toHaveLength(2);
    const res = await fetch(`http://127.0.0.1:${port}/ok`);
    expect(await res.text()).toBe('ok');
    expect(connectionStats(servers[0]!)).toMatchObject({ refusedPerSource: 2 });
  });

  it('frees a source slot when one of its sockets closes', async () => {
    const port = await start({ limits: { maxConnectionsPerSource: 1 } });
    const first = await openTcp(port, '127.0.0.2');
    first.destroy();
    await new Promise((r) => setTimeout(r, 100));
    const second = await openTcp(port, '127.0.0.2');
    expect(await closedWithin(second, 300)).toBe(-1);
  });

  it('caps connections in total across sources', async () => {
    const port = await start({ limits: { maxConnections: 4, maxConnectionsPerSource: 10 } });
    const held = await Promise.all([1, 2, 3, 4].map(() => openTcp(port, '127.0.0.2')));
    await new Promise((r) => setTimeout(r, 100));
    const extra = await openTcp(port, '127.0.0.3');
    expect(await closedWithin(extra, 2_000)).toBeGreaterThanOrEqual(0);
    expect(await Promise.all(held.map((s) => closedWithin(s, 100)))).toEqual([-1, -1, -1, -1]);
    expect(connectionStats(servers[0]!)).toMatchObject({ refusedTotal: 1, open: 4 });
  });

  it('counts an IPv6 /64 as one source and IPv4-mapped addresses as IPv4', () => {
    expect(sourceKey('2001:db8:1:2:aaaa::1')).toBe(sourceKey('2001:0db8:0001:0002:ffff:1:2:3'));
    expect(sourceKey('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
    expect(sourceKey('2001:db8:1:3::1')).not.toBe(sourceKey('2001:db8:1:2::1'));
    expect(sourceKey('::ffff:10.0.0.5')).toBe('10.0.0.5');
    expect(sourceKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(expandIPv6('64:ff9b::192.0.2.1')).toEqual(['64', 'ff9b', '0', '0', '0', '0', 'c000', '201']);
    expect(expandIPv6('::')).toEqual(['0', '0', '0', '0', '0', '0', '0', '0']);
  });
});

describe('TLS settings', () => {
  it('refuses TLS 1.1 and TLS 1.2 CBC suites, and negotiates ECDHE with AEAD', async () => {
    const port = await start({ tls: material });
    await expect(openTls(port, { minVersion: 'TLSv1', maxVersion: 'TLSv1.1' })).rejects.toThrow();
    await expect(
      openTls(port, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES128-SHA' }),
    ).rejects.toThrow(/handshake failure|no shared cipher/);
    const socket = await openTls(port, { maxVersion: 'TLSv1.2' });
    expect(socket.getCipher().name).toMatch(/^ECDHE-ECDSA-(AES\d+-GCM|CHACHA20-POLY1305)/);
    const tls13 = await openTls(port);
    expect(tls13.getProtocol()).toBe('TLSv1.3');
  });

  it('resumes TLS 1.2 sessions by session ID (tickets off) and by ticket', async () => {
    const port = await start({ tls: material });
    expect(await resumes(port, { maxVersion: 'TLSv1.2', secureOptions: constants.SSL_OP_NO_TICKET })).toBe(true);
    expect(await resumes(port, { maxVersion: 'TLSv1.2' })).toBe(true);
    expect(await resumes(port, {})).toBe(true);
  });

  it('keeps the hardened settings and resumption after the certificate is swapped', async () => {
    const port = await start({ tls: material });
    (servers[0] as unknown as import('node:tls').Server).setSecureContext({ key: other.key, cert: other.cert });
    const tls = { ca: other.cert };
    expect((await openTls(port, tls)).getPeerCertificate().fingerprint256).toBe(
      new X509Certificate(other.cert).fingerprint256,
    );
    await expect(openTls(port, { ...tls, maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-SHA' })).rejects.toThrow(
      /handshake failure|no shared cipher/,
    );
    expect(await resumes(port, { ...tls, maxVersion: 'TLSv1.2', secureOptions: constants.SSL_OP_NO_TICKET })).toBe(
      true,
    );
    expect(await resumes(port, tls)).toBe(true);
  });
});

/** Connects, keeps the session, reconnects offering it: true when the server resumed it. */
async function resumes(port: number, options: ConnectionOptions): Promise<boolean> {
  const first = await openTls(port, options);
  const session = await new Promise<Buffer>((resolve) => {
    const s = first.getSession();
    // TLS 1.3 delivers its ticket after the handshake, in the 'session' event.
    if (s && first.getProtocol() !== 'TLSv1.3') resolve(s);
    else first.once('session', resolve);
    first.write('GET /ok HTTP/1.1\r\nHost: x\r\n\r\n');
  });
  first.end();
  const second = await openTls(port, { ...options, session });
  const reused = second.isSessionReused();
  second.end();
  return reused;
}
