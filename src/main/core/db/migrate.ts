import type Database from 'better-sqlite3';

export interface Migration {
  version: number;
  name: string;
  up(db: Database.Database): void;
}

/**
 * Applies every migration newer than `PRAGMA user_version`, all in one transaction:
 * either the database reaches the newest version or it is left as it was. A database
 * written by a newer Gatehouse is refused rather than misread.
 */
export function migrate(db: Database.Database, migrations: readonly Migration[]): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  const latest = migrations.at(-1)?.version ?? 0;
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration ${m.name} is numbered ${m.version}, expected ${i + 1}`);
  });
  if (current > latest) {
    throw new Error(
      `the database is at schema version ${current}, newer than this Gatehouse (${latest}); upgrade Gatehouse`,
    );
  }
  if (current === latest) return current;
  db.transaction(() => {
    for (const m of migrations.slice(current)) m.up(db);
    db.pragma(`user_version = ${latest}`);
  }).immediate();
  return latest;
}
