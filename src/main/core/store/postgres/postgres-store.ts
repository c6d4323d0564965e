import { createHmac, randomUUID } from 'node:crypto';
import pg from 'pg';
import { ApiError } from '../../../../shared/api/errors';
import type { AdminEvent } from '../../../../shared/domain';
import { createEngineStore } from '../engine-store';
import type { EngineTransaction } from '../group-commit';
import type { Repositories, Store } from '../store';
import { migratePostgres } from './migrate';
import { POSTGRES_MIGRATIONS } from './migrations';
import { createPgHostRepository } from './repositories/host-repository';
import { createPgApprovalRuleRepository, createPgExpectedHostRepository } from './repositories/rack-repositories';
import {
  createPgAuditRepository,
  createPgCredentialRepository,
  createPgIdempotencyRepository,
  createPgSettingsRepository,
} from './repositories/small-repositories';
import { sqlOn } from './repositories/sql';
import { createPgTokenRepository } from './repositories/token-repository';
import { createPgWebhookRepository } from '../../repositories/webhook-repository';

export interface PostgresStoreOptions {
  /**
   * The sealing key. Every server of one store must hold the same key (a token sealed by
   * one is re-shown by another); the first server records a check value, and a server
   * with another key is refused at start instead of failing on the first re-show.
   */
  secretKey?: Buffer;
  /** Connections in the pool (reads, plus one per write batch). */
  poolSize?: number;
  /** Tells this server's notifications from the others'; random by default. */
  serverId?: string;
  /** Where the listener reports a lost connection (it reconnects by itself). */
  onListenError?: (error: unknown) => void;
}

/** The channel every server of one store LISTENs on for the others' committed events. */
export const EVENT_CHANNEL = 'gatehouse_events';
/** NOTIFY payloads must stay under 8000 bytes; chunks are kept below this. */
const NOTIFY_LIMIT = 7900;

// BIGINT (epoch ms, counts) read as numbers: every value Gatehouse stores fits in 2^53.
const types = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === pg.types.builtins.INT8
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND']);

/**
 * Maps a PostgreSQL or connection fault to the contract's 503 (as SQLite's busy, full
 * and read-only do); constraint violations and other request errors pass through.
 * Classes: 08 connection, 53 resources, 57P operator intervention (shutdown), 25006
 * read-only transaction (a standby), 40001/40P01 serialization failure and deadlock.
 */
export function classifyPostgresError(error: unknown): unknown {
  if (error instanceof ApiError) return error;
  const e = error as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  const message = typeof e?.message === 'string' ? e.message : '';
  const reason =
    CONNECTION_CODES.has(code) ||
    /^08/.test(code) ||
    /Connection terminated|connection timeout|Client has encountered a connection error|not queryable/i.test(message)
      ? 'its database server cannot be reached'
      : /^53/.test(code)
        ? 'its database server is out of resources'
        : /^57P/.test(code)
          ? 'its database server is shutting down or restarting'
          : code === '25006'
            ? 'its database is read-only'
            : code === '40001' || code === '40P01'
              ? 'a concurrent change collided with this one'
              : undefined;
  if (!reason) return error;
  return new ApiError(
    'STORE_UNAVAILABLE',
    `Gatehouse cannot save right now: ${reason}. Try again shortly.`,
    undefined,
    2,
  );
}

/** Every repository, bound to one pool or client. */
export function postgresRepositories(target: Parameters<typeof sqlOn>[0]): Repositories {
  const sql = sqlOn(target);
  return {
    tokens: createPgTokenRepository(sql),
    hosts: createPgHostRepository(sql),
    audit: createPgAuditRepository(sql),
    idempotency: createPgIdempotencyRepository(sql),
    settings: createPgSettingsRepository(sql),
    credentials: createPgCredentialRepository(sql),
    expectedHosts: createPgExpectedHostRepository(sql),
    approvalRules: createPgApprovalRuleRepository(sql),
    webhooks: createPgWebhookRepository(sql),
  };
}

/** Splits events into NOTIFY payloads under the limit; an event too big alone is split by its ids. */
export function notifyPayloads(serverId: string, events: AdminEvent[]): string[] {
  const pieces: AdminEvent[] = [];
  for (const event of events) {
    if (JSON.stringify(event).length <= NOTIFY_LIMIT - 200 || !event.ids) {
      pieces.push(event);
      continue;
    }
    const { ids, ...rest } = event;
    let chunk: string[] = [];
    let size = JSON.stringify(rest).length + 20;
    for (const id of ids) {
      if (size + id.length + 3 > NOTIFY_LIMIT - 200 && chunk.length) {
        pieces.push({ ...rest, ids: chunk, ...(rest.count !== undefined ? { count: chunk.length } : {}) });
        chunk = [];
        size = JSON.stringify(rest).length + 20;
      }
      chunk.push(id);
      size += Buffer.byteLength(id) + 3;
    }
    if (chunk.length)
      pieces.push({ ...rest, ids: chunk, ...(rest.count !== undefined ? { count: chunk.length } : {}) });
  }
  const payloads: string[] = [];
  let batch: AdminEvent[] = [];
  const encode = (list: AdminEvent[]) => JSON.stringify({ s: serverId, e: list });
  for (const piece of pieces) {
    if (batch.length && Buffer.byteLength(encode([...batch, piece])) > NOTIFY_LIMIT) {
      payloads.push(encode(batch));
      batch = [];
    }
    batch.push(piece);
  }
  if (batch.length) payloads.push(encode(batch));
  return payloads;
}

const KEY_CHECK = 'secret_key_check';

/** Records (first server) or checks (every later one) that this store's sealing key is `key`. */
export async function checkSecretKey(pool: Pick<pg.Pool, 'query'>, key: Buffer): Promise<void> {
  const check = createHmac('sha256', key).update('gatehouse store key check').digest('base64');
  await pool.query('INSERT INTO store_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING', [
    KEY_CHECK,
    check,
  ]);
  const row = (await pool.query<{ value: string }>('SELECT value FROM store_meta WHERE key = $1', [KEY_CHECK])).rows[0];
  if (row?.value !== check) {
    throw new Error(
      'this store was set up with another secret key: give every server the same --secret-key-file ' +
        '(copy the first server’s key file), or tokens sealed by one could not be re-shown by another',
    );
  }
}

/**
 * The PostgreSQL engine for team mode: several servers share one database.
 *
 * - Writes go through the same group committer as SQLite: one pooled client per batch,
 *   BEGIN, a SAVEPOINT per unit, COMMIT. READ COMMITTED with conditional UPDATEs keeps
 *   every cap exact across servers (a racing UPDATE re-checks its WHERE on the newest row).
 * - After each commit the batch's events are NOTIFYed on {@link EVENT_CHANNEL}; each server
 *   LISTENs on a dedicated connection and hands the other servers' events to its
 *   `onCommit` listeners, so live views and credential caches follow every server.
 * - Migrations run under an advisory lock, so servers may start together.
 */
export async function openPostgresStore(
  url: string,
  options: PostgresStoreOptions = {},
): Promise<Store & { pool: pg.Pool; serverId: string }> {
  const serverId = options.serverId ?? randomUUID();
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    types,
    connectionTimeoutMillis: 10_000,
  });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  try {
    const client = await pool.connect();
    try {
      await migratePostgres(client, POSTGRES_MIGRATIONS);
    } finally {
      client.release();
    }
    if (options.secretKey) await checkSecretKey(pool, options.secretKey);
  } catch (error) {
    await pool.end().catch(() => {});
    throw error;
  }

  async function begin(): Promise<EngineTransaction> {
    const client = await pool.connect();
    let open = true;
    let released = false;
    const broken = () => (open = false);
    client.on('error', broken);
    const release = (error?: Error) => {
      if (released) return;
      released = true;
      client.off('error', broken);
      client.release(error);
    };
    const exec = (sql: string) => async () => {
      try {
        await client.query(sql);
      } catch (error) {
        if (classifyPostgresError(error) !== error) open = false;
        throw error;
      }
    };
    try {
      await client.query('BEGIN');
    } catch (error) {
      release(error as Error);
      throw error;
    }
    return {
      repositories: postgresRepositories(client),
      isOpen: () => open,
      savepoint: exec('SAVEPOINT unit'),
      release: exec('RELEASE SAVEPOINT unit'),
      rollbackToSavepoint: exec('ROLLBACK TO SAVEPOINT unit'),
      // A failed COMMIT is followed by the committer's rollback, which drops the connection.
      async commit() {
        await exec('COMMIT')();
        release();
      },
      async rollback() {
        try {
          if (open) await client.query('ROLLBACK');
          release(open ? undefined : new Error('connection lost'));
        } catch (error) {
          release(error as Error);
        }
      },
    };
  }

  let notifying: Promise<unknown> = Promise.resolve();
  // Started once the store exists (it delivers into it); close() stops it.
  const listening: { listener?: Awaited<ReturnType<typeof startListener>> } = {};
  const store = createEngineStore({
    engine: 'postgres',
    begin,
    classify: classifyPostgresError,
    reader: postgresRepositories(pool),
    afterCommit(events) {
      const payloads = notifyPayloads(serverId, events);
      // One statement, in commit order; a lost notification costs other servers a live update, never data.
      notifying = notifying.then(() =>
        pool
          .query('SELECT pg_notify($1, payload) FROM unnest($2::text[]) WITH ORDINALITY AS p(payload, n) ORDER BY n', [
            EVENT_CHANNEL,
            payloads,
          ])
          .catch(() => {}),
      );
    },
    async close() {
      await notifying;
      await listening.listener?.stop();
      await pool.end();
    },
  });
  listening.listener = await startListener(url, serverId, store.publish, options.onListenError);
  return Object.assign(store, { pool, serverId });
}

/**
 * LISTENs on a connection of its own (a pooled one would be handed to other work) and
 * reconnects after a loss, backing off to 5 s. Notifications this server sent are skipped:
 * its own listeners heard those events at commit.
 */
async function startListener(
  url: string,
  serverId: string,
  deliver: (events: AdminEvent[]) => void,
  onError: ((error: unknown) => void) | undefined,
): Promise<{ stop(): Promise<void> }> {
  let stopped = false;
  let client: pg.Client | undefined;
  let retry: NodeJS.Timeout | undefined;
  let wait = 100;

  const connect = async (): Promise<void> => {
    const next = new pg.Client({ connectionString: url, types });
    next.on('notification', (message) => {
      if (message.channel !== EVENT_CHANNEL || !message.payload) return;
      let parsed: { s?: unknown; e?: unknown };
      try {
        parsed = JSON.parse(message.payload) as { s?: unknown; e?: unknown };
      } catch {
        return;
      }
      if (parsed.s === serverId || !Array.isArray(parsed.e)) return;
      deliver(parsed.e as AdminEvent[]);
    });
    next.on('error', (error) => {
      onError?.(error);
      reconnect();
    });
    next.on('end', () => reconnect());
    await next.connect();
    await next.query(`LISTEN ${EVENT_CHANNEL}`);
    client = next;
    wait = 100;
  };

  const reconnect = () => {
    if (stopped || retry) return;
    const old = client;
    client = undefined;
    old?.removeAllListeners('end');
    old?.end().catch(() => {});
    retry = setTimeout(() => {
      retry = undefined;
      connect().catch((error: unknown) => {
        onError?.(error);
        wait = Math.min(wait * 2, 5_000);
        reconnect();
      });
    }, wait);
    retry.unref();
  };

  await connect();
  return {
    async stop() {
      stopped = true;
      if (retry) clearTimeout(retry);
      const last = client;
      client = undefined;
      if (last) {
        last.removeAllListeners('end');
        await last.end().catch(() => {});
      }
    },
  };
}
