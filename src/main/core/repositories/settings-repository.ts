import type { Db } from '../db/connection';
import type { SettingsRepository } from '../store/repositories';

/** Key/value settings stored as JSON; unknown keys are ignored by the service. */
export function createSettingsRepository(db: Db): SettingsRepository {
  const all = db.prepare<[], { key: string; value: string }>('SELECT key, value FROM settings');
  const upsert = db.prepare(
    'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  );
  return {
    async readAll() {
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
    async write(key, value) {
      upsert.run(key, JSON.stringify(value));
    },
  };
}
