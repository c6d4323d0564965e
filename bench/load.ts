// Load generation for the bench: keep-alive HTTP, a new TLS connection per request, and
// an open-loop rate. One generator for ceilings and Gatehouse alike, so ratios are fair.
import { Agent, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface Answer {
  status: number;
  body: string;
}

export interface Target {
  /** http(s)://host:port */
  base: string;
  /** A keep-alive pool (HTTP), or undefined: a new TLS connection per request. */
  agent?: Agent;
}

export const keepAlivePool = (sockets = 50) => new Agent({ keepAlive: true, maxSockets: sockets });

export function call(
  target: Target,
  method: string,
  path: string,
  options: { body?: unknown; bearer?: string } = {},
): Promise<Answer> {
  const url = new URL(target.base + path);
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  const tls = url.protocol === 'https:';
  return new Promise((resolve, reject) => {
    const req = (tls ? httpsRequest : httpRequest)(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method,
        agent: tls ? false : target.agent,
        rejectUnauthorized: false,
        headers: {
          ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } : {}),
          ...(options.bearer ? { Authorization: `Bearer ${options.bearer}` } : {}),
        },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

export const percentile = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((values.length * p) / 100))]!;

/** `total` calls with `concurrency` in flight (closed loop): throughput and latencies. */
export async function closedLoop(
  total: number,
  concurrency: number,
  fn: (i: number) => Promise<void>,
): Promise<{ perSecond: number; latencies: number[] }> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        const t = performance.now();
        await fn(i);
        latencies.push(performance.now() - t);
      }
    }),
  );
  return { perSecond: total / ((performance.now() - started) / 1000), latencies };
}

/** `rate` calls a second for `seconds` (open loop, as a fleet beats): achieved rate and latencies. */
export async function openLoop(
  rate: number,
  seconds: number,
  fn: (i: number) => Promise<void>,
): Promise<{ perSecond: number; latencies: number[]; errors: number }> {
  const latencies: number[] = [];
  const inFlight = new Set<Promise<void>>();
  let errors = 0;
  let i = 0;
  const started = performance.now();
  const tickMs = 10;
  while (performance.now() - started < seconds * 1000) {
    const due = Math.floor(((performance.now() - started) / 1000) * rate);
    while (i < due) {
      const t = performance.now();
      const p = fn(i++)
        .then(() => void latencies.push(performance.now() - t))
        .catch(() => void errors++)
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await new Promise((r) => setTimeout(r, tickMs));
  }
  await Promise.all(inFlight);
  return { perSecond: i / ((performance.now() - started) / 1000), latencies, errors };
}
