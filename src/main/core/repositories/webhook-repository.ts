import type { Db } from '../db/connection';
import type { Sql } from '../store/postgres/repositories/sql';
import type { WebhookDeliveryRecord, WebhookRecord, WebhookRepository, WebhookAttempt } from '../store/repositories';

const HOOK_COLUMNS = 'id, url, events, preset, enabled, created_at, created_by';
const DELIVERY_COLUMNS =
  'id, webhook_id, event, body, attempt, state, next_attempt_at, last_status, last_error, last_duration_ms, created_at, delivered_at';

type HookRow = Omit<WebhookRecord, 'events' | 'enabled'> & { events: string; enabled: number | boolean };

function toHook<R extends HookRow>(row: R): Omit<R, 'events' | 'enabled'> & { events: string[]; enabled: boolean } {
  let events: string[] = [];
  try {
    events = JSON.parse(row.events) as string[];
  } catch {
    // A damaged list subscribes to nothing rather than to everything.
  }
  return { ...row, events, enabled: Boolean(row.enabled) };
}

const attemptParams = (id: string, a: WebhookAttempt) => ({
  id,
  attempt: a.attempt,
  state: a.state,
  next: a.nextAttemptAt,
  status: a.status,
  error: a.error,
  duration: a.durationMs,
  delivered: a.deliveredAt,
});

/** SQLite: webhooks and their delivery queue (migration 0003). */
export function createWebhookRepository(db: Db): WebhookRepository {
  const insert = db.prepare(`
    INSERT INTO webhooks (id, url, events, preset, secret_sealed, enabled, created_at, created_by)
    VALUES (@id, @url, @events, @preset, @secretSealed, @enabled, @created_at, @created_by)`);
  const byId = db.prepare<[string], HookRow & { secret_sealed: Buffer }>(
    `SELECT ${HOOK_COLUMNS}, secret_sealed FROM webhooks WHERE id = ?`,
  );
  const list = db.prepare<[], HookRow>(`SELECT ${HOOK_COLUMNS} FROM webhooks ORDER BY created_at, id`);
  const remove = db.prepare('DELETE FROM webhooks WHERE id = ?');
  const enqueue = db.prepare(`
    INSERT INTO webhook_deliveries (id, webhook_id, event, body, attempt, state, next_attempt_at, created_at)
    SELECT @id, @webhookId, @event, @body, 0, 'pending', @nextAttemptAt, @createdAt
     WHERE EXISTS (SELECT 1 FROM webhooks WHERE id = @webhookId)
    ON CONFLICT (id) DO NOTHING`);
  const due = db.prepare<[number, number], WebhookDeliveryRecord>(
    `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries
      WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, created_at LIMIT ?`,
  );
  const claim = db.prepare(`UPDATE webhook_deliveries SET next_attempt_at = @lease
     WHERE id = @id AND state = 'pending' AND next_attempt_at <= @now`);
  const record = db.prepare(`UPDATE webhook_deliveries SET attempt = @attempt, state = @state,
     next_attempt_at = @next, last_status = @status, last_error = @error, last_duration_ms = @duration,
     delivered_at = @delivered WHERE id = @id`);
  const findDelivery = db.prepare<[string], WebhookDeliveryRecord>(
    `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = ?`,
  );
  const deliveries = db.prepare<[string, number], WebhookDeliveryRecord>(
    `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries WHERE webhook_id = ?
      ORDER BY created_at DESC, rowid DESC LIMIT ?`,
  );
  return {
    async insert(hook) {
      insert.run({ ...hook, events: JSON.stringify(hook.events), enabled: hook.enabled ? 1 : 0 });
    },
    async findById(id) {
      const row = byId.get(id);
      return row && toHook(row);
    },
    list: async () => list.all().map(toHook),
    delete: async (id) => remove.run(id).changes === 1,
    async enqueue(rows) {
      let added = 0;
      for (const row of rows) added += enqueue.run(row).changes;
      return added;
    },
    due: async (now, limit) => due.all(now, limit),
    claim: async (id, now, lease) => claim.run({ id, now, lease }).changes === 1,
    async recordAttempt(id, attempt) {
      record.run(attemptParams(id, attempt));
    },
    findDelivery: async (id) => findDelivery.get(id),
    deliveries: async (webhookId, limit) => deliveries.all(webhookId, limit),
  };
}

/** PostgreSQL (team mode): the same queue; a claim is one conditional UPDATE, exact across servers. */
export function createPgWebhookRepository(sql: Sql): WebhookRepository {
  return {
    async insert(h) {
      await sql.run(
        `INSERT INTO webhooks (id, url, events, preset, secret_sealed, enabled, created_at, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [h.id, h.url, JSON.stringify(h.events), h.preset, h.secretSealed, h.enabled, h.created_at, h.created_by],
      );
    },
    async findById(id) {
      const row = await sql.one<HookRow & { secret_sealed: Buffer }>(
        `SELECT ${HOOK_COLUMNS}, secret_sealed FROM webhooks WHERE id = $1`,
        [id],
      );
      return row && toHook(row);
    },
    list: async () =>
      (await sql.rows<HookRow>(`SELECT ${HOOK_COLUMNS} FROM webhooks ORDER BY created_at, id`)).map(toHook),
    delete: async (id) => (await sql.run('DELETE FROM webhooks WHERE id = $1', [id])) === 1,
    async enqueue(rows) {
      let added = 0;
      for (const r of rows) {
        added += await sql.run(
          `INSERT INTO webhook_deliveries (id, webhook_id, event, body, attempt, state, next_attempt_at, created_at)
           SELECT $1, $2, $3, $4, 0, 'pending', $5, $6 WHERE EXISTS (SELECT 1 FROM webhooks WHERE id = $2)
           ON CONFLICT (id) DO NOTHING`,
          [r.id, r.webhookId, r.event, r.body, r.nextAttemptAt, r.createdAt],
        );
      }
      return added;
    },
    due: (now, limit) =>
      sql.rows<WebhookDeliveryRecord>(
        `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_at <= $1
          ORDER BY next_attempt_at, created_at LIMIT $2`,
        [now, limit],
      ),
    claim: async (id, now, lease) =>
      (await sql.run(
        `UPDATE webhook_deliveries SET next_attempt_at = $3
          WHERE id = $1 AND state = 'pending' AND next_attempt_at <= $2`,
        [id, now, lease],
      )) === 1,
    async recordAttempt(id, a) {
      await sql.run(
        `UPDATE webhook_deliveries SET attempt = $2, state = $3, next_attempt_at = $4, last_status = $5,
           last_error = $6, last_duration_ms = $7, delivered_at = $8 WHERE id = $1`,
        [id, a.attempt, a.state, a.nextAttemptAt, a.status, a.error, a.durationMs, a.deliveredAt],
      );
    },
    findDelivery: (id) =>
      sql.one<WebhookDeliveryRecord>(`SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = $1`, [id]),
    deliveries: (webhookId, limit) =>
      sql.rows<WebhookDeliveryRecord>(
        `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries WHERE webhook_id = $1
          ORDER BY created_at DESC, id DESC LIMIT $2`,
        [webhookId, limit],
      ),
  };
}
