import type { Db } from '../db/connection';
import type { IdempotencyRepository, IdempotencyRow } from '../store/repositories';

/** Remembered registrations; the response (with its credential) is stored sealed. */
export function createIdempotencyRepository(db: Db): IdempotencyRepository {
  const find = db.prepare<[string], IdempotencyRow>('SELECT * FROM idempotency_records WHERE key = ?');
  const insert = db.prepare(`
    INSERT INTO idempotency_records (key, request_hash, host_id, response_sealed, created_at)
    VALUES (@key, @requestHash, @hostId, @responseSealed, @createdAt)
    ON CONFLICT (key) DO UPDATE SET request_hash = excluded.request_hash, host_id = excluded.host_id,
      response_sealed = excluded.response_sealed, created_at = excluded.created_at`);
  const prune = db.prepare('DELETE FROM idempotency_records WHERE created_at < ?');
  return {
    find: async (key) => find.get(key),
    async insert(record) {
      insert.run(record);
    },
    async deleteOlderThan(cutoff) {
      prune.run(cutoff);
    },
  };
}
