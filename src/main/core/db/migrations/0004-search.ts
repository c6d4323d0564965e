import type { Migration } from '../migrate';

/**
 * Substring search over 100,000 hosts in milliseconds: an FTS5 trigram index over
 * `search_text`, kept in step with the hosts table by triggers. Terms of three or more
 * characters use it; shorter ones fall back to a scan.
 */
export const search: Migration = {
  version: 4,
  name: '0004-search',
  up(db) {
    db.exec(`
      CREATE VIRTUAL TABLE hosts_search USING fts5(
        search_text, content = 'hosts', content_rowid = 'rowid', tokenize = 'trigram'
      );
      INSERT INTO hosts_search (rowid, search_text) SELECT rowid, search_text FROM hosts;
      CREATE TRIGGER hosts_search_insert AFTER INSERT ON hosts BEGIN
        INSERT INTO hosts_search (rowid, search_text) VALUES (new.rowid, new.search_text);
      END;
      CREATE TRIGGER hosts_search_delete AFTER DELETE ON hosts BEGIN
        INSERT INTO hosts_search (hosts_search, rowid, search_text) VALUES ('delete', old.rowid, old.search_text);
      END;
      CREATE TRIGGER hosts_search_update AFTER UPDATE OF search_text ON hosts BEGIN
        INSERT INTO hosts_search (hosts_search, rowid, search_text) VALUES ('delete', old.rowid, old.search_text);
        INSERT INTO hosts_search (rowid, search_text) VALUES (new.rowid, new.search_text);
      END;
    `);
  },
};
