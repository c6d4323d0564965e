import type { Migration } from '../migrate';

/**
 * Rack-scale enrolment: a token can be bound to one expected-hosts row (the enrolment
 * sheet mints one per row) and can make ephemeral hosts, deleted after a time offline;
 * the host keeps that time from its token, so deleting the token changes nothing.
 */
export const rack: Migration = {
  version: 5,
  name: '0005-rack',
  up(db) {
    db.exec(`
      ALTER TABLE registration_tokens ADD COLUMN expected_row_id TEXT;
      ALTER TABLE registration_tokens ADD COLUMN ephemeral_offline_minutes INTEGER;
      ALTER TABLE hosts ADD COLUMN ephemeral_offline_minutes INTEGER;
      CREATE INDEX registration_tokens_expected_row ON registration_tokens (expected_row_id)
        WHERE expected_row_id IS NOT NULL;
      CREATE INDEX expected_hosts_import ON expected_hosts (import_id, line);
      CREATE INDEX expected_hosts_claimed ON expected_hosts (claimed_by) WHERE claimed_by IS NOT NULL;
    `);
  },
};
