import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { ApiError } from '../../../shared/api/errors';
import type { ParsedInput } from '../../../shared/api/operations';
import type {
  AdminEvent,
  CreatedWebhook,
  Webhook,
  WebhookDelivery,
  WebhookEvent,
  WebhookPreset,
} from '../../../shared/domain';
import { iso } from '../repositories/json-column';
import type {
  HostRecord,
  NewWebhookDelivery,
  TokenRecord,
  WebhookDeliveryRecord,
  WebhookRecord,
} from '../store/repositories';
import type { Repositories, Store } from '../store/store';
import type { SecretBox } from '../security/secret-box';
import type { AuditService } from './audit-service';
import type { Clock } from './clock';
import type { SettingsService } from './settings-service';
import {
  DEFAULT_RETRY_SCHEDULE_MS,
  DELIVERY_TIMEOUT_MS,
  postJson,
  signatureHeader,
  SIGNATURE_HEADER,
} from './webhook-delivery';
import { deliveryBody, type WebhookMessage } from './webhook-presets';
import { tokenState } from './token-service';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
/** A claimed delivery is retried after this long if its sender died mid-attempt. */
const LEASE_MS = 60_000;
/** Hosts gone offline up to this long before the first check after a start are still announced. */
const OFFLINE_LOOKBACK_MS = 60 * MINUTE;

export interface WebhookServiceDeps {
  store: Store;
  audit: AuditService;
  clock: Clock;
  secretBox: SecretBox;
  settings: SettingsService;
  logger?: Logger;
}

/**
 * A delivery's id from its webhook and the event's subject (`host.pending:<host>:<registered>`),
 * shaped as a UUID: the same event queued twice (every server of a team hears it; a check
 * runs again) is one delivery.
 */
export function deliveryId(webhookId: string, key: string): string {
  const h = createHash('sha256').update(`${webhookId}\n${key}`).digest('hex');
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The secret's shape: a prefix that says what it is, then 256 random bits. */
const newSecret = () => `whsec_${randomBytes(32).toString('base64url')}`;

const toWebhook = (r: WebhookRecord): Webhook => ({
  id: r.id,
  url: r.url,
  events: r.events as Webhook['events'],
  preset: r.preset as WebhookPreset | null,
  enabled: r.enabled,
  created_at: iso(r.created_at)!,
  created_by: r.created_by,
});

const toDelivery = (r: WebhookDeliveryRecord): WebhookDelivery => ({
  id: r.id,
  webhook_id: r.webhook_id,
  event: r.event,
  state: r.state,
  attempts: r.attempt,
  last_status: r.last_status,
  last_error: r.last_error,
  response_ms: r.last_duration_ms,
  created_at: iso(r.created_at)!,
  next_attempt_at: r.state === 'pending' ? iso(r.next_attempt_at) : null,
  delivered_at: iso(r.delivered_at),
});

/** Where a webhook posts, for logs and the audit: scheme, host and port (a chat URL's path is its secret). */
export const originOf = (url: string) => {
  try {
    return new URL(url).origin;
  } catch {
    return 'invalid';
  }
};

function hostData(h: HostRecord) {
  return {
    id: h.id,
    hostname: h.hostname,
    status: h.status,
    remote_addr: h.remote_addr,
    ips: h.ips,
    labels: h.labels,
    token_prefix: h.token_prefix,
    verification_code: h.verification_code,
    alarm: h.alarm,
    registered_at: iso(h.registered_at),
    decided_at: iso(h.decided_at),
    decided_by: h.decided_by,
    reject_reason: h.reject_reason,
    last_seen_at: iso(h.last_seen_at),
  };
}

function tokenData(t: TokenRecord) {
  return {
    id: t.id,
    prefix: t.prefix,
    description: t.description,
    expires_at: iso(t.expires_at),
    max_uses: t.max_uses,
    use_count: t.use_count,
  };
}

const hostLabel = (h: HostRecord) => `${h.hostname} (${h.remote_addr})`;
const tokenLabel = (t: TokenRecord) => (t.description ? `"${t.description}" (${t.prefix}…)` : `${t.prefix}…`);

/** One event about to be queued: its name, what makes it unique, what it says. */
interface Occurrence {
  event: WebhookEvent;
  key: string;
  data: Record<string, unknown>;
  title: string;
  lines?: string[];
}

function hostOccurrence(event: WebhookEvent, h: HostRecord, key: string): Occurrence {
  const titles: Partial<Record<WebhookEvent, string>> = {
    'host.pending': `Host ${hostLabel(h)} is waiting for approval`,
    'host.approved': `Host ${hostLabel(h)} was approved${h.decided_by ? ` by ${h.decided_by}` : ''}`,
    'host.rejected': `Host ${hostLabel(h)} was rejected${h.decided_by ? ` by ${h.decided_by}` : ''}`,
    'host.offline': `Host ${hostLabel(h)} went offline`,
    alarm: `Alarm on host ${hostLabel(h)}: ${h.alarm ?? 'flagged'}`,
  };
  const lines =
    event === 'host.pending'
      ? [`Verification code: ${h.verification_code}`, ...(h.labels.length ? [`Labels: ${h.labels.join(', ')}`] : [])]
      : event === 'host.rejected' && h.reject_reason
        ? [`Reason: ${h.reject_reason}`]
        : [];
  return { event, key, data: { host: hostData(h) }, title: titles[event] ?? `${event}: ${h.hostname}`, lines };
}

/**
 * Webhooks: their registry (secrets sealed, shown once), the queue of signed deliveries
 * kept in the store, and the rules that turn admin events into deliveries.
 */
export function createWebhookService(deps: WebhookServiceDeps) {
  const { clock, store } = deps;
  /** The offline check's watermark: hosts whose last beat fell offline after it are announced. */
  let offlineCheckedAt: number | null = null;

  async function mustFind(repos: Repositories, id: string) {
    const hook = await repos.webhooks.findById(id);
    if (!hook) throw new ApiError('NOT_FOUND', 'No webhook has that id.');
    return hook;
  }

  const subscribed = (hook: WebhookRecord, event: string) =>
    hook.enabled && (hook.events.includes('*') || hook.events.includes(event));

  /** Queues one delivery per subscribed webhook; an occurrence already queued is skipped. */
  async function enqueue(occurrences: Occurrence[], known?: WebhookRecord[]): Promise<number> {
    if (!occurrences.length) return 0;
    const hooks = known ?? (await store.read((r) => r.webhooks.list()));
    const now = clock.now();
    const rows: NewWebhookDelivery[] = [];
    for (const o of occurrences) {
      for (const hook of hooks.filter((h) => subscribed(h, o.event))) {
        const id = deliveryId(hook.id, o.key);
        const message: WebhookMessage = {
          id,
          event: o.event,
          at: new Date(now).toISOString(),
          data: o.data,
          title: o.title,
          lines: o.lines,
        };
        rows.push({
          id,
          webhookId: hook.id,
          event: o.event,
          body: deliveryBody(hook.preset as WebhookPreset | null, message),
          createdAt: now,
          nextAttemptAt: now,
        });
      }
    }
    if (!rows.length) return 0;
    return store.write((tx) => tx.webhooks.enqueue(rows));
  }

  async function hostsByIds(ids: string[]): Promise<HostRecord[]> {
    const found = await store.read((r) => Promise.all(ids.map((id) => r.hosts.findById(id))));
    return found.filter((h): h is HostRecord => h !== undefined);
  }

  /** The occurrences an admin event stands for, read from committed state. */
  async function occurrencesOf(event: AdminEvent): Promise<Occurrence[]> {
    const ids = event.ids ?? (event.id ? [event.id] : []);
    if (event.topic === 'hosts') {
      if (event.action === 'registered') {
        return (await hostsByIds(ids))
          .filter((h) => h.status === 'PENDING')
          .map((h) => hostOccurrence('host.pending', h, `host.pending:${h.id}:${h.registered_at}`));
      }
      const decision = /^(bulk\.)?(approve|reject)$/.exec(event.action)?.[2];
      if (decision) {
        const name: WebhookEvent = decision === 'approve' ? 'host.approved' : 'host.rejected';
        const status = decision === 'approve' ? 'APPROVED' : 'REJECTED';
        return (await hostsByIds(ids))
          .filter((h) => h.status === status)
          .map((h) => hostOccurrence(name, h, `${name}:${h.id}:${h.decided_at}`));
      }
      if (event.action === 'alarm') {
        // Minute buckets: the servers of a team hear the same alarm within moments of each other.
        const bucket = Math.floor(clock.now() / MINUTE);
        return (await hostsByIds(ids))
          .filter((h) => h.alarm !== null)
          .map((h) => hostOccurrence('alarm', h, `alarm:${h.id}:${h.alarm}:${bucket}`));
      }
    }
    if (event.topic === 'tokens' && event.action === 'exhausted' && event.id) {
      const token = await store.read((r) => r.tokens.findById(event.id!));
      if (!token) return [];
      return [
        {
          event: 'token.exhausted',
          key: `token.exhausted:${token.id}`,
          data: { token: tokenData(token) },
          title: `Registration token ${tokenLabel(token)} has no uses left (${token.use_count} of ${token.max_uses} used)`,
        },
      ];
    }
    return [];
  }

  /** Approved hosts whose last heartbeat fell past the offline threshold since the previous check. */
  async function offlineOccurrences(now: number): Promise<Occurrence[]> {
    const threshold = deps.settings.get().offline_threshold_seconds * 1000;
    const since = offlineCheckedAt ?? now - OFFLINE_LOOKBACK_MS;
    offlineCheckedAt = now;
    // A host crossed the threshold in (since, now] when its last beat lies in (since - threshold, now - threshold].
    const lowest = since - threshold;
    const found: Occurrence[] = [];
    let after: { value: number; id: string } | undefined;
    for (;;) {
      const page = await store.read((r) =>
        r.hosts.query({
          status: 'APPROVED',
          connectivity: 'OFFLINE',
          sort: 'last_seen_at',
          descending: true,
          after,
          limit: 500,
          onlineSince: now - threshold,
        }),
      );
      for (const h of page.hosts) {
        if (h.last_seen_at === null || h.last_seen_at <= lowest) return found;
        found.push(hostOccurrence('host.offline', h, `host.offline:${h.id}:${h.last_seen_at}`));
      }
      const last = page.hosts.at(-1);
      if (!last || page.hosts.length < 500) return found;
      after = { value: last.last_seen_at!, id: last.id };
    }
  }

  /** Usable tokens expiring within a day; each expiry is announced once (its key holds the instant). */
  async function expiringOccurrences(now: number): Promise<Occurrence[]> {
    const tokens = await store.read((r) => r.tokens.list({ includeExpired: false, now }));
    return tokens
      .filter((t) => tokenState(t, now) === 'active' && t.expires_at <= now + DAY)
      .map((t) => ({
        event: 'token.expiring' as const,
        key: `token.expiring:${t.id}:${t.expires_at}`,
        data: { token: tokenData(t) },
        title: `Registration token ${tokenLabel(t)} expires at ${new Date(t.expires_at).toISOString()}`,
        lines: [`${t.use_count} of ${t.max_uses === 0 ? 'unlimited' : t.max_uses} uses taken`],
      }));
  }

  /** One attempt at one claimed delivery, and its outcome recorded with the next retry. */
  async function attempt(
    delivery: WebhookDeliveryRecord,
    schedule: number[],
    timeoutMs: number,
  ): Promise<WebhookDeliveryRecord> {
    const hook = await store.read((r) => r.webhooks.findById(delivery.webhook_id));
    if (!hook) return delivery; // deleted meanwhile: its deliveries went with it
    let secret: string;
    try {
      secret = deps.secretBox.open(hook.secret_sealed);
    } catch {
      const failed = {
        attempt: delivery.attempt + 1,
        state: 'failed' as const,
        nextAttemptAt: null,
        status: null,
        error: 'the signing secret cannot be opened: the sealing key was replaced; create the webhook again',
        durationMs: null,
        deliveredAt: null,
      };
      await store.write((tx) => tx.webhooks.recordAttempt(delivery.id, failed));
      return { ...delivery, state: 'failed' };
    }
    const result = await postJson(
      hook.url,
      delivery.body,
      {
        [SIGNATURE_HEADER]: signatureHeader(secret, delivery.body, Math.floor(clock.now() / 1000)),
        'Gatehouse-Event': delivery.event,
        'Gatehouse-Delivery': delivery.id,
      },
      timeoutMs,
    );
    const attempts = delivery.attempt + 1;
    const now = clock.now();
    const wait = schedule[attempts - 1];
    const state = result.ok ? 'delivered' : wait === undefined ? 'failed' : 'pending';
    const record = {
      attempt: attempts,
      state,
      nextAttemptAt: state === 'pending' ? now + wait! : null,
      status: result.status,
      error: result.error,
      durationMs: result.durationMs,
      deliveredAt: result.ok ? now : null,
    } as const;
    await store.write((tx) => tx.webhooks.recordAttempt(delivery.id, record));
    const log = {
      webhook: hook.id,
      to: originOf(hook.url),
      event: delivery.event,
      delivery: delivery.id,
      attempt: attempts,
    };
    if (result.ok) deps.logger?.debug({ ...log, ms: result.durationMs }, 'webhook delivered');
    else deps.logger?.warn({ ...log, status: result.status, error: result.error, state }, 'webhook attempt failed');
    return (await store.read((r) => r.webhooks.findDelivery(delivery.id))) ?? delivery;
  }

  return {
    async create(input: ParsedInput<'webhooks.create'>, actor: string): Promise<CreatedWebhook> {
      const secret = newSecret();
      const record: WebhookRecord = {
        id: randomUUID(),
        url: input.url,
        events: [...new Set(input.events)],
        preset: input.preset ?? null,
        enabled: true,
        created_at: clock.now(),
        created_by: actor,
      };
      await store.write(async (tx) => {
        await tx.webhooks.insert({ ...record, secretSealed: deps.secretBox.seal(secret) });
        await deps.audit.record(tx, {
          actor,
          action: 'webhook.created',
          targetType: 'webhook',
          targetId: record.id,
          detail: { to: originOf(record.url), events: record.events, preset: record.preset },
        });
      });
      return { ...toWebhook(record), secret };
    },

    async list(): Promise<{ webhooks: Webhook[] }> {
      return { webhooks: (await store.read((r) => r.webhooks.list())).map(toWebhook) };
    },

    async delete(id: string, actor: string): Promise<void> {
      await store.write(async (tx) => {
        const hook = await mustFind(tx, id);
        await tx.webhooks.delete(id);
        await deps.audit.record(tx, {
          actor,
          action: 'webhook.deleted',
          targetType: 'webhook',
          targetId: id,
          detail: { to: originOf(hook.url) },
        });
      });
    },

    /** A signed `webhook.test` delivery sent now, once (no retries); answers its log entry. */
    async test(id: string, actor: string): Promise<WebhookDelivery> {
      const hook = await store.read((r) => mustFind(r, id));
      const now = clock.now();
      const deliveryIdNow = randomUUID();
      const body = deliveryBody(hook.preset as WebhookPreset | null, {
        id: deliveryIdNow,
        event: 'webhook.test',
        at: new Date(now).toISOString(),
        data: { webhook_id: id, sent_by: actor },
        title: `Test message from Gatehouse, sent by ${actor}`,
      });
      await store.write(async (tx) => {
        await tx.webhooks.enqueue([
          {
            id: deliveryIdNow,
            webhookId: id,
            event: 'webhook.test',
            body,
            createdAt: now,
            nextAttemptAt: now + LEASE_MS,
          },
        ]);
        await deps.audit.record(tx, {
          actor,
          action: 'webhook.tested',
          targetType: 'webhook',
          targetId: id,
          detail: { to: originOf(hook.url) },
        });
      });
      const queued = await store.read((r) => r.webhooks.findDelivery(deliveryIdNow));
      return toDelivery(await attempt(queued!, [], DELIVERY_TIMEOUT_MS));
    },

    async deliveries(id: string, limit = 100): Promise<{ deliveries: WebhookDelivery[] }> {
      return store.read(async (r) => {
        await mustFind(r, id);
        return { deliveries: (await r.webhooks.deliveries(id, limit)).map(toDelivery) };
      });
    },

    /**
     * Posts one message to a webhook now (a token's join instructions to a chat). The log
     * keeps a note in place of the body: the message carries a secret the store must not.
     */
    async postNow(
      id: string,
      message: Omit<WebhookMessage, 'id' | 'at'>,
      logBody: Record<string, unknown>,
    ): Promise<{ delivered: boolean; error: string | null }> {
      const hook = await store.read((r) => mustFind(r, id));
      const now = clock.now();
      const deliveryIdNow = randomUUID();
      const body = deliveryBody(hook.preset as WebhookPreset | null, {
        ...message,
        id: deliveryIdNow,
        at: new Date(now).toISOString(),
      });
      const result = await postJson(hook.url, body, {
        [SIGNATURE_HEADER]: signatureHeader(deps.secretBox.open(hook.secret_sealed), body, Math.floor(now / 1000)),
        'Gatehouse-Event': message.event,
        'Gatehouse-Delivery': deliveryIdNow,
      });
      await store.write(async (tx) => {
        await tx.webhooks.enqueue([
          {
            id: deliveryIdNow,
            webhookId: id,
            event: message.event,
            body: JSON.stringify(logBody),
            createdAt: now,
            nextAttemptAt: now,
          },
        ]);
        await tx.webhooks.recordAttempt(deliveryIdNow, {
          attempt: 1,
          state: result.ok ? 'delivered' : 'failed',
          nextAttemptAt: null,
          status: result.status,
          error: result.error,
          durationMs: result.durationMs,
          deliveredAt: result.ok ? clock.now() : null,
        });
      });
      return { delivered: result.ok, error: result.error };
    },

    /** Turns one committed admin event into queued deliveries; answers how many were new. */
    async enqueueFromEvent(event: AdminEvent): Promise<number> {
      if (event.topic !== 'hosts' && event.topic !== 'tokens') return 0;
      // Most sites have no webhook: one read of the (small) webhook table, and nothing else.
      const hooks = await store.read((r) => r.webhooks.list());
      if (!hooks.some((h) => h.enabled)) return 0;
      return enqueue(await occurrencesOf(event), hooks);
    },

    /** The periodic part: hosts gone offline since the last check, tokens expiring within a day. */
    async checkPeriodic(): Promise<number> {
      const now = clock.now();
      return enqueue([...(await offlineOccurrences(now)), ...(await expiringOccurrences(now))]);
    },

    /**
     * Sends every due delivery once (claimed first, so two senders never send one attempt),
     * recording the outcome and when to retry. Answers how many attempts were made.
     */
    async processDue(options: { schedule?: number[]; timeoutMs?: number; limit?: number } = {}): Promise<number> {
      const schedule = options.schedule ?? DEFAULT_RETRY_SCHEDULE_MS;
      const now = clock.now();
      const due = await store.read((r) => r.webhooks.due(now, options.limit ?? 50));
      // Claimed together: units of one turn share one commit.
      const taken = await Promise.all(
        due.map((d) => store.write((tx) => tx.webhooks.claim(d.id, now, now + LEASE_MS))),
      );
      const claimed = due.filter((_d, i) => taken[i]);
      await Promise.all(
        claimed.map((d) =>
          attempt(d, schedule, options.timeoutMs ?? DELIVERY_TIMEOUT_MS).catch((error: unknown) =>
            deps.logger?.error({ err: error, delivery: d.id }, 'webhook attempt could not be recorded'),
          ),
        ),
      );
      return claimed.length;
    },
  };
}

export type WebhookService = ReturnType<typeof createWebhookService>;
