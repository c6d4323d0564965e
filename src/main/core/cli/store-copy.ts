import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import pg from 'pg';
import { dataPaths, lockDataDir } from '../data-dir';
import { openConnection } from '../db/connection';
import { migrate } from '../db/migrate';
import { MIGRATIONS } from '../db/migrations';
import { loadOrCreateKeyFile } from '../security/secret-box';
import { migratePostgres } from '../store/postgres/migrate';
import { POSTGRES_MIGRATIONS } from '../store/postgres/migrations';
import { checkSecretKey } from '../store/postgres/postgres-store';

export interface StoreCopyOptions {
  /** The desktop's (or a headless server's) data directory, its server stopped. */
  from: string;
  /** postgres://… of the team store. */
  to: string;
  /** Empty a non-empty target first. */
  force?: boolean;
  /** The key that sealed the copies in `from` (default: DIR/secret.key when present). */
  secretKeyFile?: string;
}

export interface TableCopy {
  table: string;
  rows: number;
  /** SHA-256 of the canonical encoding of every row, the same on both sides. */
  digest: string;
}

export interface StoreCopyReport {
  tables: TableCopy[];
  /** Whether the store now records the source's sealing key (servers must use that key file). */
  key_recorded: boolean;
  milliseconds: number;
}

/** Store copy refused or failed; `code` is a contract error code. */
export class StoreCopyError extends Error {
  constructor(
    readonly code: 'CONFLICT' | 'NOT_FOUND' | 'VALIDATION_FAILED' | 'INTERNAL',
    message: string,
  ) {
    super(message);
    this.name = 'StoreCopyError';
  }
}

/** Parents before children (foreign keys), each with the key its rows are ordered by. */
const TABLES: { name: string; key: string }[] = [
  { name: 'registration_tokens', key: 'id' },
  { name: 'hosts', key: 'id' },
  { name: 'audit_log', key: 'id' },
  { name: 'idempotency_records', key: 'key' },
  { name: 'settings', key: 'key' },
  { name: 'admin_credentials', key: 'id' },
  { name: 'webhooks', key: 'id' },
  { name: 'webhook_deliveries', key: 'id' },
  { name: 'expected_hosts', key: 'id' },
  { name: 'approval_rules', key: 'id' },
];

const BATCH = 500;

type Kind = 'boolean' | 'bytea' | 'number' | 'text';

/** One value, written the same whichever engine it was read from (SQLite 0/1 flags are booleans). */
function canonical(value: unknown, kind: Kind): string {
  if (value === null || value === undefined) return 'null';
  if (kind === 'boolean') return value === true || value === 1 ? 'true' : 'false';
  if (Buffer.isBuffer(value)) return `b64:${value.toString('base64')}`;
  if (typeof value === 'bigint' || typeof value === 'number') return String(value);
  return JSON.stringify(String(value));
}

function digestRows(rows: Record<string, unknown>[], columns: [string, Kind][]): string {
  const hash = createHash('sha256');
  for (const row of rows) hash.update(columns.map(([c, k]) => canonical(row[c], k)).join('\t') + '\n');
  return hash.digest('hex');
}

const KINDS: Record<string, Kind> = { boolean: 'boolean', bytea: 'bytea', bigint: 'number', integer: 'number' };

/**
 * Copies a SQLite store into an empty PostgreSQL store, table by table, in one
 * PostgreSQL transaction, then proves the copy: the row count and a digest of the
 * canonical encoding of every row (ordered by key) must match on both sides.
 *
 * The source is locked (no server may run on it) and first brought to this Gatehouse's
 * schema, as starting the app would. A target holding any rows is refused unless
 * `force`, which empties it first. The source's sealing key is recorded in the store,
 * so only servers given that key file (`--secret-key-file`) can start on it.
 */
export async function storeCopy(options: StoreCopyOptions): Promise<StoreCopyReport> {
  const started = Date.now();
  const paths = dataPaths(options.from);
  if (!existsSync(paths.database)) {
    throw new StoreCopyError('NOT_FOUND', `${options.from} holds no Gatehouse store (no ${paths.database}).`);
  }
  const keyFile = options.secretKeyFile ?? (existsSync(paths.secretKey) ? paths.secretKey : undefined);
  const lock = lockDataDir(paths);
  let source: Database.Database | undefined;
  const pool = new pg.Pool({
    connectionString: options.to,
    max: 1,
    types: {
      getTypeParser: ((oid: number, format?: string) =>
        oid === pg.types.builtins.INT8
          ? (v: string) => Number(v)
          : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
    },
  });
  pool.on('error', () => {});
  try {
    source = openConnection(paths.database);
    migrate(source, MIGRATIONS);
    const client = await pool.connect();
    try {
      await migratePostgres(client, POSTGRES_MIGRATIONS);
      const kinds = await columnKinds(client);
      await client.query('BEGIN');
      const counts = await Promise.all(
        TABLES.map(async (t) => Number((await client.query(`SELECT count(*) AS n FROM ${t.name}`)).rows[0].n)),
      );
      if (counts.some((n) => n > 0)) {
        if (!options.force) {
          throw new StoreCopyError(
            'CONFLICT',
            'The target store already holds data; copying would mix two fleets. Give --force to empty it first.',
          );
        }
        await client.query(`TRUNCATE ${TABLES.map((t) => t.name).join(', ')}, store_meta`);
      }
      const tables: TableCopy[] = [];
      for (const table of TABLES) {
        tables.push(await copyTable(source, client, table, kinds.get(table.name) ?? new Map()));
      }
      await client.query(
        "SELECT setval(pg_get_serial_sequence('audit_log', 'id'), coalesce((SELECT max(id) FROM audit_log), 0) + 1, false)",
      );
      if (keyFile) await checkSecretKey(client, loadOrCreateKeyFile(keyFile));
      await client.query('COMMIT');
      return { tables, key_recorded: keyFile !== undefined, milliseconds: Date.now() - started };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  } finally {
    source?.close();
    lock.release();
    await pool.end();
  }
}

async function columnKinds(client: pg.PoolClient): Promise<Map<string, Map<string, Kind>>> {
  const { rows } = await client.query<{ table_name: string; column_name: string; data_type: string }>(
    `SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema()`,
  );
  const kinds = new Map<string, Map<string, Kind>>();
  for (const r of rows) {
    if (!kinds.has(r.table_name)) kinds.set(r.table_name, new Map());
    kinds.get(r.table_name)!.set(r.column_name, KINDS[r.data_type] ?? 'text');
  }
  return kinds;
}

async function copyTable(
  source: Database.Database,
  client: pg.PoolClient,
  table: { name: string; key: string },
  kinds: Map<string, Kind>,
): Promise<TableCopy> {
  const sourceColumns = (source.pragma(`table_info(${table.name})`) as { name: string }[]).map((c) => c.name);
  const missing = sourceColumns.filter((c) => !kinds.has(c));
  if (missing.length) {
    throw new StoreCopyError(
      'VALIDATION_FAILED',
      `${table.name} has columns the PostgreSQL store lacks (${missing.join(', ')}); upgrade Gatehouse on both sides.`,
    );
  }
  const columns: [string, Kind][] = sourceColumns.sort().map((c) => [c, kinds.get(c)!]);
  const rows = source.prepare(`SELECT * FROM ${table.name} ORDER BY ${table.key}`).all() as Record<string, unknown>[];
  const toPg = (row: Record<string, unknown>, column: string, kind: Kind) => {
    const value = row[column];
    if (kind === 'boolean' && value !== null) return value === 1 || value === true;
    // hosts.replaces points at other hosts: set after every host is in (see below).
    if (table.name === 'hosts' && column === 'replaces') return null;
    return value;
  };
  for (let i = 0; i < rows.length; i += BATCH) {
    const batch = rows.slice(i, i + BATCH);
    const params: unknown[] = [];
    const values = batch.map(
      (row) => `(${columns.map(([c, k]) => (params.push(toPg(row, c, k)), `$${params.length}`)).join(', ')})`,
    );
    await client.query(
      `INSERT INTO ${table.name} (${columns.map(([c]) => c).join(', ')}) VALUES ${values.join(', ')}`,
      params,
    );
  }
  if (table.name === 'hosts') {
    const links = rows.filter((r) => r.replaces !== null);
    if (links.length) {
      await client.query(
        `UPDATE hosts h SET replaces = l.replaces FROM unnest($1::text[], $2::text[]) AS l(id, replaces) WHERE h.id = l.id`,
        [links.map((r) => r.id), links.map((r) => r.replaces)],
      );
    }
  }
  const copied = (
    await client.query(`SELECT ${columns.map(([c]) => c).join(', ')} FROM ${table.name} ORDER BY ${table.key}`)
  ).rows as Record<string, unknown>[];
  const digest = digestRows(rows, columns);
  if (copied.length !== rows.length || digestRows(copied, columns) !== digest) {
    throw new StoreCopyError(
      'INTERNAL',
      `${table.name}: the copy differs from the source (${rows.length} rows in SQLite, ${copied.length} in PostgreSQL); nothing was kept.`,
    );
  }
  return { table: table.name, rows: rows.length, digest };
}
