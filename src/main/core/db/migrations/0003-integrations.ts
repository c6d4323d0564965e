import type { Migration } from '../migrate';

/**
 * Named admin credentials, webhooks and their delivery log, expected hosts (rack
 * imports) and approval rules. Secrets are kept as hashes (credentials) or sealed
 * with the key outside the database (webhook secrets), never in plain text.
 */
export const integrations: Migration = {
  version: 3,
  name: '0003-integrations',
  up(db) {
    db.exec(`
      CREATE TABLE admin_credentials (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        scope TEXT NOT NULL CHECK (scope IN ('admin', 'approver', 'read-only', 'enrol')),
        credential_hash BLOB NOT NULL UNIQUE,
        prefix TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        created_by TEXT NOT NULL,
        expires_at INTEGER,
        revoked_at INTEGER,
        last_used_at INTEGER
      );

      CREATE TABLE webhooks (
        id TEXT PRIMARY KEY,
        url TEXT NOT NULL,
        events TEXT NOT NULL DEFAULT '["*"]',
        preset TEXT,
        secret_sealed BLOB NOT NULL,
        enabled INTEGER NOT NULL DEFAULT 1,
        created_at INTEGER NOT NULL,
        created_by TEXT NOT NULL
      );

      CREATE TABLE webhook_deliveries (
        id TEXT PRIMARY KEY,
        webhook_id TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
        event TEXT NOT NULL,
        body TEXT NOT NULL,
        attempt INTEGER NOT NULL DEFAULT 0,
        state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
        next_attempt_at INTEGER,
        last_status INTEGER,
        last_error TEXT,
        last_duration_ms INTEGER,
        created_at INTEGER NOT NULL,
        delivered_at INTEGER
      );
      CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at);
      CREATE INDEX webhook_deliveries_hook ON webhook_deliveries (webhook_id, created_at);

      CREATE TABLE expected_hosts (
        id TEXT PRIMARY KEY,
        import_id TEXT NOT NULL,
        line INTEGER NOT NULL,
        hostname TEXT NOT NULL,
        serial TEXT,
        system_uuid TEXT,
        mac TEXT,
        labels TEXT NOT NULL DEFAULT '[]',
        position TEXT,
        auto_approve INTEGER NOT NULL DEFAULT 0,
        claimed_by TEXT,
        claimed_at INTEGER,
        created_at INTEGER NOT NULL,
        created_by TEXT NOT NULL
      );
      CREATE INDEX expected_hosts_serial ON expected_hosts (serial) WHERE serial IS NOT NULL;
      CREATE INDEX expected_hosts_uuid ON expected_hosts (system_uuid) WHERE system_uuid IS NOT NULL;
      CREATE INDEX expected_hosts_mac ON expected_hosts (mac) WHERE mac IS NOT NULL;

      CREATE TABLE approval_rules (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        position INTEGER NOT NULL,
        enabled INTEGER NOT NULL DEFAULT 1,
        match TEXT NOT NULL,
        max_count INTEGER NOT NULL CHECK (max_count >= 0),
        used_count INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        created_by TEXT NOT NULL
      );
    `);
  },
};
