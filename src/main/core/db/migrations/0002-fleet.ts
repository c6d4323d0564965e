import type { Migration } from '../migrate';

/**
 * Fleet scale and hardening: reported hardware facts, conflict/expected/alarm flags,
 * whether a host was ever approved (a host rejected after approval is still enrolled),
 * indexes for paged, sorted and searched host lists, and audit batch ids.
 */
export const fleet: Migration = {
  version: 2,
  name: '0002-fleet',
  up(db) {
    db.exec(`
      ALTER TABLE hosts ADD COLUMN facts TEXT;
      ALTER TABLE hosts ADD COLUMN system_uuid TEXT;
      ALTER TABLE hosts ADD COLUMN serial TEXT;
      ALTER TABLE hosts ADD COLUMN conflict INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE hosts ADD COLUMN expected TEXT;
      ALTER TABLE hosts ADD COLUMN alarm TEXT;
      ALTER TABLE hosts ADD COLUMN ever_approved INTEGER NOT NULL DEFAULT 0;
      -- Lower-cased hostname, addresses, labels, machine id, serial and MACs: what search matches.
      ALTER TABLE hosts ADD COLUMN search_text TEXT NOT NULL DEFAULT '';

      UPDATE hosts SET ever_approved = 1
       WHERE status IN ('APPROVED', 'DISABLED')
          OR id IN (SELECT target_id FROM audit_log
                     WHERE action IN ('host.approved', 'host.auto_approved', 'host.enabled'));
      UPDATE hosts SET search_text = lower(hostname || ' ' || remote_addr || ' ' || ips || ' ' || labels || ' ' || machine_id);

      CREATE INDEX hosts_registered ON hosts (registered_at, id) WHERE retired_at IS NULL;
      CREATE INDEX hosts_hostname ON hosts (hostname, id) WHERE retired_at IS NULL;
      CREATE INDEX hosts_last_seen ON hosts (last_seen_at, id) WHERE retired_at IS NULL;
      CREATE INDEX hosts_status_registered ON hosts (status, registered_at, id) WHERE retired_at IS NULL;
      -- Replaced by hosts_status_registered, which serves the same look-ups.
      DROP INDEX hosts_status;
      CREATE INDEX hosts_system_uuid ON hosts (system_uuid) WHERE retired_at IS NULL AND system_uuid IS NOT NULL;
      CREATE INDEX hosts_serial ON hosts (serial) WHERE retired_at IS NULL AND serial IS NOT NULL;

      ALTER TABLE audit_log ADD COLUMN batch_id TEXT;
      CREATE INDEX audit_target ON audit_log (target_id, id);
      CREATE INDEX audit_actor ON audit_log (actor, id);
      CREATE INDEX audit_at ON audit_log (at);
    `);
  },
};
