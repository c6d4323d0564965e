import type { Db } from '../db/connection';

export interface IdempotencyRow {
  key: string;
  request_hash: Buffer;
  host_id: string;
  response_sealed: Buffer;
  created_at: number;
}

/** Remembered registrations; the response (with its credential) is stored sealed. */
export function createIdempotencyRepository(db: Db) {
  const find = db.prepare<[string], IdempotencyRow>('SELECT * FROM idempotency_records WHERE key = ?');
  const insert = db.prepare(`
    INSERT INTO idempotency_records (key, request_hash, host_id, response_sealed, created_at)
    VALUES (@key, @requestHash, @hostId, @responseSealed, @createdAt)
    ON CONFLICT (key) DO UPDATE SET request_hash = excluded.request_hash, host_id = excluded.host_id,
      response_sealed = excluded.response_sealed, created_at = excluded.created_at`);
  const prune = db.prepare('DELETE FROM idempotency_records WHERE created_at < ?');
  return {
    find: (key: string) => find.get(key),
    insert(record: { key: string; requestHash: Buffer; hostId: string; responseSealed: Buffer; createdAt: number }) {
      insert.run(record);
    },
    deleteOlderThan(cutoff: number): void {
      prune.run(cutoff);
    },
  };
}

export type IdempotencyRepository = ReturnType<typeof createIdempotencyRepository>;
