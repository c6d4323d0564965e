import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { request } from 'node:https';
import { connect as tcpConnect, type Socket } from 'node:net';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONNECTION_LIMITS, DEFAULT_TIMEOUTS } from '../../src/main/core/http/server';
import { registration } from '../helpers/gatehouse';
import { removeDir, startServeProcess, type ServeProcess } from '../helpers/serve-process';

const ATTACKER = '127.0.0.2';
const WANTED = 5_000;

let serve: ServeProcess;
let lanPort: number;
let adminPort: number;
let ca: string;

beforeAll(async () => {
  serve = await startServeProcess();
  lanPort = Number(new URL(serve.endpoint.lan_url).port);
  adminPort = Number(new URL(serve.endpoint.admin_url).port);
  ca = readFileSync(join(serve.dir, 'tls-cert.pem'), 'utf8');
}, 180_000);
afterAll(async () => {
  await serve?.stop();
  if (serve) removeDir(serve.dir);
});

/** Resident memory of the server process, in MB. */
const rssMb = () =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${serve.endpoint.pid}/status`, 'utf8'))![1]) / 1024;
/** Descriptors the server process holds: its sockets, database, logs. */
const serverFds = () => readdirSync(`/proc/${serve.endpoint.pid}/fd`).length;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One HTTPS call on a fresh connection, as join.sh's curl makes it; resolves status, body, ms. */
function call(path: string, body: unknown, bearer?: string): Promise<{ status: number; body: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: lanPort,
        path,
        method: 'POST',
        ca,
        agent: false,
        headers: {
          'Content-Type': 'application/json',
          ...(bearer ? { Authorization: `Bearer ${bearer}` } : {}),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode!, body: text, ms: performance.now() - started }));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

/** A raw TCP socket from `localAddress` that never sends a byte; resolves once connected (or refused). */
function idleSocket(port: number, localAddress: string): Promise<Socket> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ port, host: '127.0.0.1', localAddress });
    socket.on('error', () => undefined);
    socket.once('connect', () => resolve(socket));
    socket.once('close', () => resolve(socket));
  });
}

const percentile = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((values.length * p) / 100))]!;

/** How many descriptors this test process may open (the server inherits the same limit). */
function descriptorLimit(): number {
  return Number(execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim());
}

describe('connection limits on the real server (npm run serve)', () => {
  it(`${WANTED} idle sockets from one address: the server holds at most its per-source cap, closes them, and another host heartbeats`, async () => {
    const limit = descriptorLimit();
    // The client end of every attack socket is a descriptor here; keep room for the rest.
    const count = Math.min(WANTED, limit - 500);
    if (count < WANTED) console.log(`ulimit -n is ${limit}: opening ${count} sockets instead of ${WANTED}`);
    const rssBefore = rssMb();
    const fdsBefore = serverFds();
    const started = Date.now();

    const attack: Socket[] = [];
    let openedMs = 0;
    const opening = (async () => {
      for (let i = 0; i < count; i += 250) {
        const batch = Math.min(250, count - i);
        attack.push(...(await Promise.all(Array.from({ length: batch }, () => idleSocket(lanPort, ATTACKER)))));
      }
      openedMs = Date.now() - started;
    })();
    const held = () => attack.filter((s) => !s.destroyed).length;

    const timeline: { t: number; held: number; closed: number; serverFds: number; rssMb: number }[] = [];
    let peakFds = 0;
    let peakRss = 0;
    const sample = () => {
      const fds = serverFds();
      const rss = rssMb();
      peakFds = Math.max(peakFds, fds);
      peakRss = Math.max(peakRss, rss);
      const now = held();
      timeline.push({
        t: (Date.now() - started) / 1000,
        held: now,
        closed: attack.length - now,
        serverFds: fds,
        rssMb: Math.round(rss),
      });
    };
    const sampler = setInterval(sample, 500);

    // The healthy host, on 127.0.0.1, while the attack sockets are being opened and held.
    const created = await serve.admin('/api/admin/registration-tokens', {
      json: { expires_in_hours: 1, max_uses: 1, auto_approve: true },
    });
    const { token } = (await created.json()) as { token: string };
    const registered = await call('/api/hosts/register', registration(token));
    expect(registered.status).toBe(201);
    const { host_token: hostToken } = JSON.parse(registered.body) as { host_token: string };
    const beats: number[] = [];
    let opened = false;
    void opening.then(() => (opened = true));
    let afterOpened = 0;
    while (afterOpened < 40) {
      const beat = await call('/api/hosts/heartbeat', {}, hostToken);
      expect(beat.status).toBe(204);
      beats.push(beat.ms);
      if (opened) afterOpened++;
      else await sleep(50);
    }
    await opening;
    // Closing over-cap sockets reaches this process as FINs a moment later.
    await sleep(1_000);
    const heldAfterOpening = held();

    // Every attack socket closed by the server: over-cap ones at once, the rest by the handshake timeout.
    const deadline = Date.now() + 30_000;
    while (held() > 0 && Date.now() < deadline) await sleep(250);
    clearInterval(sampler);
    sample();

    console.log(
      `attack: ${attack.length} idle TCP sockets from ${ATTACKER} opened in ${openedMs} ms (ulimit -n ${limit}); ` +
        `per-source cap ${DEFAULT_CONNECTION_LIMITS.maxConnectionsPerSource}, handshake timeout ${DEFAULT_TIMEOUTS.handshakeMs} ms`,
    );
    console.log('t(s)  held  closed  server-fds  rss(MB)');
    for (const row of timeline.filter((_, i) => i % 2 === 0 || i === timeline.length - 1)) {
      console.log(
        `${row.t.toFixed(1).padStart(4)}  ${String(row.held).padStart(4)}  ${String(row.closed).padStart(6)}  ${String(row.serverFds).padStart(10)}  ${String(row.rssMb).padStart(7)}`,
      );
    }
    console.log(
      `healthy host on 127.0.0.1: register ${registered.ms.toFixed(1)} ms; ${beats.length} heartbeats (new TLS connection each) ` +
        `p50 ${percentile(beats, 50).toFixed(1)} ms, p99 ${percentile(beats, 99).toFixed(1)} ms, max ${Math.max(...beats).toFixed(1)} ms`,
    );
    console.log(
      `server: fds ${fdsBefore} before, peak ${peakFds}; RSS ${rssBefore.toFixed(0)} MB before, peak ${peakRss.toFixed(0)} MB, ` +
        `after ${rssMb().toFixed(0)} MB; attack sockets held once all were opened: ${heldAfterOpening}`,
    );

    const cap = DEFAULT_CONNECTION_LIMITS.maxConnectionsPerSource;
    // The server never held more than the cap from the attacker (plus the host's own few).
    expect(peakFds - fdsBefore).toBeLessThanOrEqual(cap + 8);
    expect(heldAfterOpening).toBeLessThanOrEqual(cap);
    expect(held()).toBe(0);
    expect(peakRss - rssBefore).toBeLessThan(400);
    // Slots are free again: the attacker address can connect and is served.
    const again = await idleSocket(lanPort, ATTACKER);
    expect(again.destroyed).toBe(false);
    again.destroy();
  }, 120_000);

  it('disconnects a TLS client that completes the handshake and then sends nothing', async () => {
    const started = Date.now();
    const socket = tlsConnect({ host: '127.0.0.1', port: lanPort, ca });
    socket.on('error', () => undefined);
    await new Promise((resolve) => socket.once('secureConnect', resolve));
    const handshakeMs = Date.now() - started;
    const closed = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 60_000);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    console.log(
      `silent TLS client: handshake ${handshakeMs} ms, disconnected ${Date.now() - started - handshakeMs} ms later ` +
        `(idle timeout ${DEFAULT_TIMEOUTS.idleMs} ms)`,
    );
    expect(closed).toBe(true);
  }, 90_000);

  it('disconnects an idle TCP connection to the admin port', async () => {
    const started = Date.now();
    const socket = await idleSocket(adminPort, '127.0.0.1');
    const closed = await new Promise<boolean>((resolve) => {
      if (socket.destroyed) return resolve(false);
      const timer = setTimeout(() => resolve(false), 60_000);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    console.log(`idle admin-port connection closed after ${Date.now() - started} ms`);
    expect(closed).toBe(true);
  }, 90_000);

  it('keeps the admin event stream open across its quiet spells', async () => {
    const controller = new AbortController();
    const res = await fetch(`${serve.endpoint.admin_url}/api/admin/events`, {
      headers: { Authorization: `Bearer ${serve.adminToken}` },
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let text = '';
    const reading = (async () => {
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
        if (done) return 'closed';
        text += new TextDecoder().decode(value);
      }
    })();
    // Longer than the idle timeout and one keep-alive comment (every 15 s).
    const outcome = await Promise.race([reading, sleep(DEFAULT_TIMEOUTS.idleMs + 9_000).then(() => 'open')]);
    controller.abort();
    console.log(`admin event stream after ${(DEFAULT_TIMEOUTS.idleMs + 9_000) / 1000} s: ${outcome}`);
    expect(outcome).toBe('open');
    expect(text).toContain(': keep-alive');
  }, 60_000);
});
