import { createHmac, timingSafeEqual } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Logger } from 'pino';
import type { AdminEvent } from '../../../shared/domain';
import type { Gatehouse } from '../gatehouse';

export const SIGNATURE_HEADER = 'Gatehouse-Signature';
/** How long one delivery may take before it counts as failed. */
export const DELIVERY_TIMEOUT_MS = 5_000;
/** Waits between attempts: 10 s, 30 s, 2 min, 10 min, 1 h; after the last, the delivery is failed. */
export const DEFAULT_RETRY_SCHEDULE_MS = [10_000, 30_000, 120_000, 600_000, 3_600_000];

/** `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`: the body and the time, signed together. */
export function signatureHeader(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

/**
 * What a receiver does with the header: recompute the HMAC over `<t>.<body>`, compare in
 * constant time, and refuse a timestamp further than `toleranceSeconds` from its own clock
 * (a captured delivery cannot be replayed later). Receivers also drop an id they have seen.
 */
export function verifySignature(
  secret: string,
  header: string | undefined,
  body: string,
  nowSeconds: number,
  toleranceSeconds = 300,
): { ok: true; t: number } | { ok: false; reason: string } {
  const parts = new Map((header ?? '').split(',').map((p) => p.trim().split('=', 2) as [string, string]));
  const t = Number(parts.get('t'));
  const v1 = parts.get('v1') ?? '';
  if (!Number.isInteger(t) || !/^[0-9a-f]{64}$/.test(v1)) return { ok: false, reason: 'malformed signature header' };
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  if (!timingSafeEqual(expected, Buffer.from(v1, 'hex'))) return { ok: false, reason: 'signature mismatch' };
  if (Math.abs(nowSeconds - t) > toleranceSeconds) return { ok: false, reason: 'timestamp outside tolerance' };
  return { ok: true, t };
}

export interface PostResult {
  ok: boolean;
  /** The receiver's HTTP status; null when there was no answer. */
  status: number | null;
  error: string | null;
  durationMs: number;
}

/**
 * One POST, never more: redirects are not followed (a 3xx is a failure, so a receiver
 * cannot bounce a signed body elsewhere), only http(s) URLs, the whole exchange bounded
 * by `timeoutMs`, at most 4 KB of the answer read (for the error text).
 */
export function postJson(
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs = DELIVERY_TIMEOUT_MS,
): Promise<PostResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  return new Promise((resolve) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      resolve({ ok: false, status: null, error: 'not a URL', durationMs: 0 });
      return;
    }
    if (target.protocol !== 'http:' && target.protocol !== 'https:') {
      resolve({ ok: false, status: null, error: `${target.protocol} URLs are not delivered to`, durationMs: 0 });
      return;
    }
    let settled = false;
    const finish = (result: Omit<PostResult, 'durationMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...result, durationMs: elapsed() });
    };
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(
      target,
      {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'Content-Length': String(Buffer.byteLength(body)),
          'User-Agent': 'Gatehouse-Webhook/1',
          ...headers,
        },
      },
      (res: IncomingMessage) => {
        const status = res.statusCode ?? 0;
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (text.length < 4096) text += chunk;
        });
        res.on('error', (error) => finish({ ok: false, status, error: error.message }));
        res.on('end', () => {
          if (status >= 200 && status < 300) finish({ ok: true, status, error: null });
          else if (status >= 300 && status < 400)
            finish({ ok: false, status, error: `HTTP ${status}: redirects are not followed` });
          else finish({ ok: false, status, error: `HTTP ${status}${text ? `: ${text.slice(0, 200)}` : ''}` });
        });
      },
    );
    const timer = setTimeout(() => {
      finish({ ok: false, status: null, error: `no answer within ${timeoutMs / 1000} s` });
      req.destroy();
    }, timeoutMs);
    req.on('error', (error: NodeJS.ErrnoException) =>
      finish({ ok: false, status: null, error: error.code ?? error.message }),
    );
    req.end(body);
  });
}

export interface WebhookDeliveryOptions {
  /** Waits between attempts (tests pass milliseconds). */
  schedule?: number[];
  /** How often due deliveries are looked for when nothing new was queued. */
  pollMs?: number;
  /** How often hosts gone offline and tokens about to expire are looked for. */
  checkMs?: number;
  timeoutMs?: number;
}

/**
 * Starts webhook delivery for a running core: events from the bus become queued deliveries
 * (in the store, so a restart loses none and picks up what was pending), a periodic check
 * finds hosts gone offline and tokens expiring within a day, and a loop sends what is due,
 * retrying on the schedule. Nothing here throws into the process: every failure is logged.
 * Returns the stop function.
 */
export function startWebhookDelivery(
  gatehouse: Pick<Gatehouse, 'events' | 'webhooks'>,
  logger: Logger,
  options: WebhookDeliveryOptions = {},
): () => void {
  const schedule = options.schedule ?? DEFAULT_RETRY_SCHEDULE_MS;
  const pollMs = options.pollMs ?? 1_000;
  let stopped = false;
  let running: Promise<void> | null = null;
  let again = false;
  let timer: NodeJS.Timeout | undefined;

  const run = async () => {
    do {
      again = false;
      try {
        await gatehouse.webhooks.processDue({ schedule, timeoutMs: options.timeoutMs });
      } catch (error) {
        logger.error({ err: error }, 'webhook delivery pass failed');
      }
    } while (again && !stopped);
  };
  /** One pass at a time; a kick during a pass runs another right after it. */
  const kick = () => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = run().finally(() => {
      running = null;
      if (!stopped) {
        clearTimeout(timer);
        timer = setTimeout(kick, pollMs);
        timer.unref();
      }
    });
  };

  const unsubscribe = gatehouse.events.subscribe((event: AdminEvent) => {
    gatehouse.webhooks
      .enqueueFromEvent(event)
      .then((queued) => queued > 0 && kick())
      .catch((error: unknown) =>
        logger.error({ err: error, topic: event.topic, action: event.action }, 'webhook enqueue failed'),
      );
  });
  const check = () => {
    gatehouse.webhooks
      .checkPeriodic()
      .then((queued) => queued > 0 && kick())
      .catch((error: unknown) => logger.error({ err: error }, 'webhook periodic check failed'));
  };
  const checkTimer = setInterval(check, options.checkMs ?? 60_000);
  checkTimer.unref();
  check();
  kick();

  return () => {
    stopped = true;
    unsubscribe();
    clearInterval(checkTimer);
    clearTimeout(timer);
  };
}
