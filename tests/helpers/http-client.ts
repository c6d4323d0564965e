import { request } from 'node:http';
import { connect } from 'node:net';
import { ERROR_STATUS } from '../../src/shared/api/errors';

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * One HTTP request on a fresh connection (no agent, no pooling), optionally from a
 * chosen loopback source address. Rejects on a connection error or after `timeoutMs`,
 * so a server that hangs fails the caller instead of stalling the suite.
 */
export function httpRequest(
  url: string,
  options: {
    method?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    json?: unknown;
    localAddress?: string;
    timeoutMs?: number;
  } = {},
): Promise<Answer> {
  const target = new URL(url);
  const body = options.json !== undefined ? JSON.stringify(options.json) : options.body;
  const headers: Record<string, string> = { ...options.headers };
  if (options.json !== undefined) headers['Content-Type'] ??= 'application/json';
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname + target.search,
        method: options.method ?? (body === undefined ? 'GET' : 'POST'),
        headers,
        localAddress: options.localAddress,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.setTimeout(options.timeoutMs ?? 20_000, () =>
      req.destroy(new Error(`no answer within ${options.timeoutMs ?? 20_000} ms`)),
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** A JSON answer's body, or undefined when it is not JSON. */
export function jsonOf(answer: Answer): unknown {
  try {
    return JSON.parse(answer.body) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Why an answer is not a contract error, or null when it is one: a 4xx/5xx with
 * `{error: {code, message}}`, the code one of ERROR_STATUS and travelling with its status,
 * and a message that is a sentence rather than a bare word.
 */
export function contractErrorProblem(answer: { status: number; body: string }): string | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer.body);
  } catch {
    return `status ${answer.status} with a body that is not JSON: ${answer.body.slice(0, 120)}`;
  }
  const error = (parsed as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  if (!error || typeof error.code !== 'string') return `no error.code in ${answer.body.slice(0, 120)}`;
  if (!(error.code in ERROR_STATUS)) return `unknown code ${error.code}`;
  if (ERROR_STATUS[error.code as keyof typeof ERROR_STATUS] !== answer.status) {
    return `code ${error.code} sent with status ${answer.status}`;
  }
  if (typeof error.message !== 'string' || error.message.trim().length < 10) {
    return `code ${error.code} without a message sentence`;
  }
  return null;
}

export interface RawOutcome {
  /** The bytes the server sent before closing or before the timeout, as latin1 text. */
  text: string;
  /** Whether the server closed the connection (as opposed to our timeout ending it). */
  closedByServer: boolean;
  /** Parsed first response, when one arrived. */
  response?: { status: number; headers: Record<string, string>; body: string };
}

/**
 * Sends bytes on a raw TCP socket (no HTTP client between us and the server, so
 * malformed requests reach it exactly as written). `parts` are written in order,
 * `gapMs` apart; after the last one the socket stays open until the server answers
 * and closes, an answer is complete, or `timeoutMs` passes.
 */
export function rawExchange(
  url: string,
  parts: (string | Buffer)[],
  options: { gapMs?: number; timeoutMs?: number; endAfterWrite?: boolean; localAddress?: string } = {},
): Promise<RawOutcome> {
  const target = new URL(url);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let done = false;
    const socket = connect({ host: target.hostname, port: Number(target.port), localAddress: options.localAddress });
    const finish = (closedByServer: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      resolve({ text, closedByServer, response: parseResponse(text) });
    };
    const timer = setTimeout(() => finish(false), options.timeoutMs ?? 10_000);
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      const parsed = parseResponse(Buffer.concat(chunks).toString('latin1'));
      if (parsed?.complete) finish(false);
    });
    socket.on('error', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('connect', async () => {
      for (let i = 0; i < parts.length && !done; i++) {
        if (i > 0 && options.gapMs) await new Promise((r) => setTimeout(r, options.gapMs));
        if (!socket.destroyed) socket.write(parts[i]!);
      }
      if (options.endAfterWrite && !socket.destroyed) socket.end();
    });
  });
}

/** Parses the first HTTP/1.1 response in `text` (Content-Length or chunked bodies). */
export function parseResponse(
  text: string,
): { status: number; headers: Record<string, string>; body: string; complete: boolean } | undefined {
  // Interim 1xx answers (100 Continue) come before the real one.
  while (/^HTTP\/1\.[01] 1\d\d /.test(text) && text.includes('\r\n\r\n'))
    text = text.slice(text.indexOf('\r\n\r\n') + 4);
  const headEnd = text.indexOf('\r\n\r\n');
  if (headEnd < 0) return undefined;
  const [statusLine, ...lines] = text.slice(0, headEnd).split('\r\n');
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '');
  if (!match) return undefined;
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const rest = Buffer.from(text.slice(headEnd + 4), 'latin1');
  let body: Buffer = rest;
  let complete = false;
  if (headers['content-length'] !== undefined) {
    const length = Number(headers['content-length']);
    body = rest.subarray(0, length);
    complete = rest.length >= length;
  } else if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
    const parts: Buffer[] = [];
    let at = 0;
    for (;;) {
      const lineEnd = rest.indexOf('\r\n', at);
      if (lineEnd < 0) break;
      const size = parseInt(rest.subarray(at, lineEnd).toString('latin1'), 16);
      if (Number.isNaN(size)) break;
      if (size === 0) {
        complete = true;
        break;
      }
      if (rest.length < lineEnd + 2 + size) break;
      parts.push(rest.subarray(lineEnd + 2, lineEnd + 2 + size));
      at = lineEnd + 2 + size + 2;
    }
    body = Buffer.concat(parts);
  } else if (Number(match[1]) === 204 || Number(match[1]) === 304) {
    complete = true;
  }
  return { status: Number(match[1]), headers, body: body.toString('utf8'), complete };
}

/** Runs `jobs` with at most `concurrency` at once; resolves when all have settled. */
export async function pool<T>(jobs: (() => Promise<T>)[], concurrency: number): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, worker));
  return results;
}

/** `{ "201": 12, "503": 40 }`-style counts, printed as one line. */
export function histogram(values: (string | number)[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of values) counts[String(v)] = (counts[String(v)] ?? 0) + 1;
  return counts;
}
