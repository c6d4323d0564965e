import type pg from 'pg';

export interface PostgresMigration {
  version: number;
  name: string;
  sql: string;
}

/** Any constant shared by every Gatehouse: the advisory lock that serialises migrations. */
const MIGRATION_LOCK = 0x6761_7465; // "gate"

/**
 * Brings the database to the newest schema. Several servers may start at once: each
 * takes one advisory lock, so one migrates and the others find the work done. Each
 * migration runs in its own transaction with its row in `schema_migrations`; a database
 * written by a newer Gatehouse is refused rather than misread.
 */
export async function migratePostgres(
  client: pg.ClientBase,
  migrations: readonly PostgresMigration[],
): Promise<number> {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration ${m.name} is numbered ${m.version}, expected ${i + 1}`);
  });
  const latest = migrations.at(-1)?.version ?? 0;
  await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
  try {
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`);
    const { rows } = await client.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations');
    const current = rows[0]?.v ?? 0;
    if (current > latest) {
      throw new Error(
        `the database is at schema version ${current}, newer than this Gatehouse (${latest}); upgrade Gatehouse`,
      );
    }
    for (const m of migrations.slice(current)) {
      await client.query('BEGIN');
      try {
        await client.query(m.sql);
        await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
          m.version,
          m.name,
          Date.now(),
        ]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      }
    }
    return latest;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {});
  }
}
