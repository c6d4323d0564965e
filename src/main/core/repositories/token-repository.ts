import type { Db } from '../db/connection';
import type { TokenRecord, TokenRepository } from '../store/repositories';
import { readStringArray } from './json-column';

interface TokenRow extends Omit<TokenRecord, 'labels' | 'allowed_cidrs' | 'auto_approve'> {
  labels: string;
  allowed_cidrs: string;
  auto_approve: number;
}

function toRecord(row: TokenRow): TokenRecord {
  return {
    ...row,
    labels: readStringArray(row.labels),
    allowed_cidrs: readStringArray(row.allowed_cidrs),
    auto_approve: row.auto_approve === 1,
  };
}

/** SQL for registration tokens and nothing else: rules live in the token service. */
export function createTokenRepository(db: Db): TokenRepository {
  const insert = db.prepare(`
    INSERT INTO registration_tokens
      (id, token_hash, token_sealed, prefix, description, expires_at, max_uses, labels,
       auto_approve, allowed_cidrs, created_at, created_by)
    VALUES (@id, @tokenHash, @tokenSealed, @prefix, @description, @expiresAt, @maxUses, @labels,
       @autoApprove, @allowedCidrs, @createdAt, @createdBy)`);
  const byId = db.prepare<[string], TokenRow>('SELECT * FROM registration_tokens WHERE id = ?');
  const byHash = db.prepare<[Buffer], TokenRow>('SELECT * FROM registration_tokens WHERE token_hash = ?');
  const listAll = db.prepare<[], TokenRow>('SELECT * FROM registration_tokens ORDER BY created_at DESC, id');
  const listUnexpired = db.prepare<[number], TokenRow>(
    'SELECT * FROM registration_tokens WHERE expires_at > ? ORDER BY created_at DESC, id',
  );
  // The claim is one conditional UPDATE: SQLite serialises writers, so use_count can
  // never pass max_uses however many registrations race for the last use.
  const claim = db.prepare(`
    UPDATE registration_tokens
       SET use_count = use_count + 1, last_used_at = @now
     WHERE id = @id AND revoked_at IS NULL AND expires_at > @now
       AND (max_uses = 0 OR use_count < max_uses)`);
  const revoke = db.prepare(
    'UPDATE registration_tokens SET revoked_at = @now, token_sealed = NULL WHERE id = @id AND revoked_at IS NULL',
  );
  const remove = db.prepare('DELETE FROM registration_tokens WHERE id = ?');
  const recordFailure = db.prepare(`
    UPDATE registration_tokens
       SET failed_attempt_count = failed_attempt_count + 1, last_failed_source = @source, last_failed_at = @now
     WHERE id = @id`);
  const dropSealed = db.prepare(
    'UPDATE registration_tokens SET token_sealed = NULL WHERE token_sealed IS NOT NULL AND id = ?',
  );
  const dropUnusableSealed = db.prepare(`
    UPDATE registration_tokens SET token_sealed = NULL
     WHERE token_sealed IS NOT NULL
       AND (expires_at <= @now OR revoked_at IS NOT NULL OR (max_uses > 0 AND use_count >= max_uses))`);
  const usedBy = db.prepare<[string, number], { host_id: string; hostname: string }>(
    'SELECT id AS host_id, hostname FROM hosts WHERE token_id = ? ORDER BY registered_at, id LIMIT ?',
  );

  return {
    async insert(token) {
      insert.run({
        ...token,
        labels: JSON.stringify(token.labels),
        allowedCidrs: JSON.stringify(token.allowedCidrs),
        autoApprove: token.autoApprove ? 1 : 0,
      });
    },
    async findById(id) {
      const row = byId.get(id);
      return row && toRecord(row);
    },
    async findByHash(hash) {
      const row = byHash.get(hash);
      return row && toRecord(row);
    },
    async list(options) {
      return (options.includeExpired ? listAll.all() : listUnexpired.all(options.now)).map(toRecord);
    },
    async claimUse(id, now) {
      return claim.run({ id, now }).changes === 1;
    },
    async revoke(id, now) {
      return revoke.run({ id, now }).changes === 1;
    },
    async delete(id) {
      return remove.run(id).changes === 1;
    },
    async recordFailure(id, source, now) {
      recordFailure.run({ id, source, now });
    },
    async dropSealedCopy(id) {
      dropSealed.run(id);
    },
    async dropUnusableSealedCopies(now) {
      return dropUnusableSealed.run({ now }).changes;
    },
    async usedByNodes(id, limit = -1) {
      return usedBy.all(id, limit);
    },
  };
}
