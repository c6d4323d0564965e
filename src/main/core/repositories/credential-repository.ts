import type { Db } from '../db/connection';
import type { CredentialRecord, CredentialRepository } from '../store/repositories';

const COLUMNS = 'id, name, scope, prefix, created_at, created_by, expires_at, revoked_at, last_used_at';

/** Named admin credentials: only the hash of each secret is stored. */
export function createCredentialRepository(db: Db): CredentialRepository {
  const insert = db.prepare(`
    INSERT INTO admin_credentials (id, name, scope, credential_hash, prefix, created_at, created_by, expires_at)
    VALUES (@id, @name, @scope, @credentialHash, @prefix, @created_at, @created_by, @expires_at)`);
  const byHash = db.prepare<[Buffer], CredentialRecord>(
    `SELECT ${COLUMNS} FROM admin_credentials WHERE credential_hash = ?`,
  );
  const byName = db.prepare<[string], CredentialRecord>(`SELECT ${COLUMNS} FROM admin_credentials WHERE name = ?`);
  const list = db.prepare<[], CredentialRecord>(`SELECT ${COLUMNS} FROM admin_credentials ORDER BY created_at, id`);
  const revoke = db.prepare('UPDATE admin_credentials SET revoked_at = @now WHERE id = @id AND revoked_at IS NULL');
  const touch = db.prepare('UPDATE admin_credentials SET last_used_at = @now WHERE id = @id');
  return {
    async insert(record) {
      insert.run(record);
    },
    findByHash: async (hash) => byHash.get(hash),
    findByName: async (name) => byName.get(name),
    list: async () => list.all(),
    revoke: async (id, now) => revoke.run({ id, now }).changes === 1,
    async touch(id, now) {
      touch.run({ id, now });
    },
  };
}
