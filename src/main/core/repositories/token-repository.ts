import type { Db } from '../db/connection';
import { readStringArray } from './json-column';

export interface TokenRow {
  id: string;
  token_hash: Buffer;
  token_sealed: Buffer | null;
  prefix: string;
  description: string;
  expires_at: number;
  max_uses: number;
  use_count: number;
  labels: string;
  auto_approve: number;
  allowed_cidrs: string;
  failed_attempt_count: number;
  last_failed_source: string | null;
  last_failed_at: number | null;
  created_at: number;
  created_by: string;
  revoked_at: number | null;
  last_used_at: number | null;
}

export interface TokenRecord extends Omit<TokenRow, 'labels' | 'allowed_cidrs' | 'auto_approve'> {
  labels: string[];
  allowed_cidrs: string[];
  auto_approve: boolean;
}

export interface NewToken {
  id: string;
  tokenHash: Buffer;
  tokenSealed: Buffer | null;
  prefix: string;
  description: string;
  expiresAt: number;
  maxUses: number;
  labels: string[];
  autoApprove: boolean;
  allowedCidrs: string[];
  createdAt: number;
  createdBy: string;
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
export function createTokenRepository(db: Db) {
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
  const usedBy = db.prepare<[string], { host_id: string; hostname: string }>(
    'SELECT id AS host_id, hostname FROM hosts WHERE token_id = ? ORDER BY registered_at, id',
  );

  return {
    insert(token: NewToken): void {
      insert.run({
        ...token,
        labels: JSON.stringify(token.labels),
        allowedCidrs: JSON.stringify(token.allowedCidrs),
        autoApprove: token.autoApprove ? 1 : 0,
      });
    },
    findById(id: string): TokenRecord | undefined {
      const row = byId.get(id);
      return row && toRecord(row);
    },
    findByHash(hash: Buffer): TokenRecord | undefined {
      const row = byHash.get(hash);
      return row && toRecord(row);
    },
    list(options: { includeExpired: boolean; now: number }): TokenRecord[] {
      return (options.includeExpired ? listAll.all() : listUnexpired.all(options.now)).map(toRecord);
    },
    /** Takes one use if the token is still valid at `now`; false when none was left. */
    claimUse(id: string, now: number): boolean {
      return claim.run({ id, now }).changes === 1;
    },
    revoke(id: string, now: number): boolean {
      return revoke.run({ id, now }).changes === 1;
    },
    delete(id: string): boolean {
      return remove.run(id).changes === 1;
    },
    recordFailure(id: string, source: string, now: number): void {
      recordFailure.run({ id, source, now });
    },
    /** Forgets the sealed copy once a token can no longer be used. */
    dropSealedCopy(id: string): void {
      dropSealed.run(id);
    },
    /** Forgets every sealed copy of a token that can no longer be used; returns how many. */
    dropUnusableSealedCopies(now: number): number {
      return dropUnusableSealed.run({ now }).changes;
    },
    usedByNodes(id: string): { host_id: string; hostname: string }[] {
      return usedBy.all(id);
    },
  };
}

export type TokenRepository = ReturnType<typeof createTokenRepository>;
