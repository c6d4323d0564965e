import type { Migration } from '../migrate';

/** Tokens, hosts, audit log, idempotency records and settings. Times are epoch ms. */
export const initial: Migration = {
  version: 1,
  name: '0001-initial',
  up(db) {
    db.exec(`
      CREATE TABLE registration_tokens (
        id TEXT PRIMARY KEY,
        token_hash BLOB NOT NULL UNIQUE,
        token_sealed BLOB,
        prefix TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        expires_at INTEGER NOT NULL,
        max_uses INTEGER NOT NULL CHECK (max_uses >= 0),
        use_count INTEGER NOT NULL DEFAULT 0,
        labels TEXT NOT NULL DEFAULT '[]',
        auto_approve INTEGER NOT NULL DEFAULT 0,
        allowed_cidrs TEXT NOT NULL DEFAULT '[]',
        failed_attempt_count INTEGER NOT NULL DEFAULT 0,
        last_failed_source TEXT,
        last_failed_at INTEGER,
        created_at INTEGER NOT NULL,
        created_by TEXT NOT NULL,
        revoked_at INTEGER,
        last_used_at INTEGER,
        CHECK (max_uses = 0 OR use_count <= max_uses)
      );
      CREATE INDEX registration_tokens_expires ON registration_tokens (expires_at);

      CREATE TABLE hosts (
        id TEXT PRIMARY KEY,
        hostname TEXT NOT NULL,
        machine_id TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('PENDING','APPROVED','REJECTED','DISABLED')),
        remote_addr TEXT NOT NULL,
        ips TEXT NOT NULL DEFAULT '[]',
        os TEXT,
        arch TEXT,
        labels TEXT NOT NULL DEFAULT '[]',
        token_id TEXT REFERENCES registration_tokens (id) ON DELETE SET NULL,
        token_prefix TEXT,
        verification_code TEXT NOT NULL,
        replaces TEXT REFERENCES hosts (id) ON DELETE SET NULL,
        credential_hash BLOB UNIQUE,
        next_credential_hash BLOB UNIQUE,
        registered_at INTEGER NOT NULL,
        decided_at INTEGER,
        decided_by TEXT,
        reject_reason TEXT,
        last_seen_at INTEGER,
        retired_at INTEGER,
        replaced_by TEXT
      );
      CREATE INDEX hosts_machine ON hosts (machine_id) WHERE retired_at IS NULL;
      CREATE INDEX hosts_status ON hosts (status) WHERE retired_at IS NULL;
      CREATE INDEX hosts_token ON hosts (token_id);

      CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        target_type TEXT NOT NULL,
        target_id TEXT,
        detail TEXT NOT NULL DEFAULT '{}'
      );

      CREATE TABLE idempotency_records (
        key TEXT PRIMARY KEY,
        request_hash BLOB NOT NULL,
        host_id TEXT NOT NULL,
        response_sealed BLOB NOT NULL,
        created_at INTEGER NOT NULL
      );

      CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );
    `);
  },
};
