import type { TokenRecord, TokenRepository } from '../../repositories';
import { readStringArray } from '../../../repositories/json-column';
import type { Sql } from './sql';

type TokenRow = Omit<TokenRecord, 'labels' | 'allowed_cidrs'> & { labels: string; allowed_cidrs: string };

const toRecord = (row: TokenRow): TokenRecord => ({
  ...row,
  labels: readStringArray(row.labels),
  allowed_cidrs: readStringArray(row.allowed_cidrs),
});

/** Registration tokens on PostgreSQL; the same statements and answers as the SQLite repository. */
export function createPgTokenRepository(sql: Sql): TokenRepository {
  return {
    async insert(t) {
      await sql.run(
        `INSERT INTO registration_tokens (id, token_hash, token_sealed, prefix, description, expires_at, max_uses,
           labels, auto_approve, allowed_cidrs, created_at, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
        [
          t.id,
          t.tokenHash,
          t.tokenSealed,
          t.prefix,
          t.description,
          t.expiresAt,
          t.maxUses,
          JSON.stringify(t.labels),
          t.autoApprove,
          JSON.stringify(t.allowedCidrs),
          t.createdAt,
          t.createdBy,
        ],
      );
    },
    async findById(id) {
      const row = await sql.one<TokenRow>('SELECT * FROM registration_tokens WHERE id = $1', [id]);
      return row && toRecord(row);
    },
    async findByHash(hash) {
      const row = await sql.one<TokenRow>('SELECT * FROM registration_tokens WHERE token_hash = $1', [hash]);
      return row && toRecord(row);
    },
    async list({ includeExpired, now }) {
      const rows = includeExpired
        ? await sql.rows<TokenRow>('SELECT * FROM registration_tokens ORDER BY created_at DESC, id')
        : await sql.rows<TokenRow>(
            'SELECT * FROM registration_tokens WHERE expires_at > $1 ORDER BY created_at DESC, id',
            [now],
          );
      return rows.map(toRecord);
    },
    // One conditional UPDATE. Under READ COMMITTED a racing UPDATE waits for the row lock
    // and re-checks the WHERE clause against the committed row, so use_count never passes
    // max_uses however many servers race for the last use.
    async claimUse(id, now) {
      const changed = await sql.run(
        `UPDATE registration_tokens SET use_count = use_count + 1, last_used_at = $2
          WHERE id = $1 AND revoked_at IS NULL AND expires_at > $2 AND (max_uses = 0 OR use_count < max_uses)`,
        [id, now],
      );
      return changed === 1;
    },
    async revoke(id, now) {
      const changed = await sql.run(
        'UPDATE registration_tokens SET revoked_at = $2, token_sealed = NULL WHERE id = $1 AND revoked_at IS NULL',
        [id, now],
      );
      return changed === 1;
    },
    async delete(id) {
      return (await sql.run('DELETE FROM registration_tokens WHERE id = $1', [id])) === 1;
    },
    async recordFailure(id, source, now) {
      await sql.run(
        `UPDATE registration_tokens
            SET failed_attempt_count = failed_attempt_count + 1, last_failed_source = $2, last_failed_at = $3
          WHERE id = $1`,
        [id, source, now],
      );
    },
    async dropSealedCopy(id) {
      await sql.run('UPDATE registration_tokens SET token_sealed = NULL WHERE token_sealed IS NOT NULL AND id = $1', [
        id,
      ]);
    },
    async dropUnusableSealedCopies(now) {
      return sql.run(
        `UPDATE registration_tokens SET token_sealed = NULL
          WHERE token_sealed IS NOT NULL
            AND (expires_at <= $1 OR revoked_at IS NOT NULL OR (max_uses > 0 AND use_count >= max_uses))`,
        [now],
      );
    },
    async usedByNodes(id, limit = -1) {
      return sql.rows<{ host_id: string; hostname: string }>(
        'SELECT id AS host_id, hostname FROM hosts WHERE token_id = $1 ORDER BY registered_at, id LIMIT $2',
        [id, limit < 0 ? null : limit],
      );
    },
  };
}
