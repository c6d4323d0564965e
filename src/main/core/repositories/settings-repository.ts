import type { Db } from '../db/connection';

/** Key/value settings stored as JSON; unknown keys are ignored by the service. */
export function createSettingsRepository(db: Db) {
  const all = db.prepare<[], { key: string; value: string }>('SELECT key, value FROM settings');
  const upsert = db.prepare(
    'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  );
  return {
    readAll(): Record<string, unknown> {
      const result: Record<string, unknown> = {};
      for (const { key, value } of all.all()) {
        try {
          result[key] = JSON.parse(value);
        } catch {
          // A damaged value falls back to the default.
        }
      }
      return result;
    },
    write(key: string, value: unknown): void {
      upsert.run(key, JSON.stringify(value));
    },
  };
}

export type SettingsRepository = ReturnType<typeof createSettingsRepository>;
