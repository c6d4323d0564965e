import type { Db } from '../db/connection';
import type { ExpectedHostRecord, ExpectedHostRepository } from '../store/repositories';
import { readStringArray } from './json-column';

interface Row extends Omit<ExpectedHostRecord, 'labels' | 'auto_approve'> {
  labels: string;
  auto_approve: number;
}

const toRecord = (row: Row): ExpectedHostRecord => ({
  ...row,
  labels: readStringArray(row.labels),
  auto_approve: row.auto_approve === 1,
});

const json = (values: string[]) => JSON.stringify(values);

/**
 * SQL for expected hosts and for the rack columns of tokens and hosts (the row a token
 * was minted for, ephemeral offline limits). Rules live in the rack services.
 */
export function createExpectedHostRepository(db: Db): ExpectedHostRepository {
  const insert = db.prepare(`
    INSERT INTO expected_hosts (id, import_id, line, hostname, serial, system_uuid, mac, labels, position,
      auto_approve, created_at, created_by)
    VALUES (@id, @import_id, @line, @hostname, @serial, @system_uuid, @mac, @labels, @position,
      @auto_approve, @created_at, @created_by)`);
  const byId = db.prepare<[string], Row>('SELECT * FROM expected_hosts WHERE id = ?');
  const byIdentifiers = db.prepare<[string, string, string], Row>(`
    SELECT * FROM expected_hosts
     WHERE serial IN (SELECT value FROM json_each(?))
        OR system_uuid IN (SELECT value FROM json_each(?))
        OR mac IN (SELECT value FROM json_each(?))
     ORDER BY created_at, line`);
  const listAll = db.prepare<[number], Row>(
    'SELECT * FROM expected_hosts ORDER BY created_at, import_id, line LIMIT ?',
  );
  const listImport = db.prepare<[string, number], Row>(
    'SELECT * FROM expected_hosts WHERE import_id = ? ORDER BY line LIMIT ?',
  );
  const count = db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM expected_hosts');
  const claim = db.prepare('UPDATE expected_hosts SET claimed_by = ?, claimed_at = ? WHERE id = ?');
  const rowOfToken = db.prepare<[string], Row>(`
    SELECT e.* FROM expected_hosts e JOIN registration_tokens t ON t.expected_row_id = e.id WHERE t.id = ?`);
  const bindToken = db.prepare('UPDATE registration_tokens SET expected_row_id = ? WHERE id = ?');
  const tokensOfImport = db.prepare<[string], { row_id: string; token_id: string }>(`
    SELECT e.id AS row_id, t.id AS token_id
      FROM expected_hosts e JOIN registration_tokens t ON t.expected_row_id = e.id
     WHERE e.import_id = ? ORDER BY e.line, t.created_at`);
  const setTokenEphemeral = db.prepare('UPDATE registration_tokens SET ephemeral_offline_minutes = ? WHERE id = ?');
  const setHostEphemeral = db.prepare('UPDATE hosts SET ephemeral_offline_minutes = ? WHERE id = ?');
  const staleEphemeral = db.prepare<[number, number], { id: string; hostname: string; minutes: number }>(`
    SELECT id, hostname, ephemeral_offline_minutes AS minutes FROM hosts
     WHERE ephemeral_offline_minutes IS NOT NULL AND retired_at IS NULL
       AND coalesce(last_seen_at, registered_at) + ephemeral_offline_minutes * 60000 < ?
     ORDER BY registered_at LIMIT ?`);
  const silentApproved = db.prepare<[number, number], { id: string; hostname: string; last_seen_at: number | null }>(`
    SELECT id, hostname, last_seen_at FROM hosts
     WHERE status = 'APPROVED' AND retired_at IS NULL AND coalesce(last_seen_at, decided_at, registered_at) < ?
     ORDER BY registered_at LIMIT ?`);

  return {
    async insertMany(rows) {
      for (const row of rows) insert.run({ ...row, labels: json(row.labels), auto_approve: row.auto_approve ? 1 : 0 });
    },
    async findById(id) {
      const row = byId.get(id);
      return row && toRecord(row);
    },
    async findByIdentifiers({ serials, systemUuids, macs }) {
      if (!serials.length && !systemUuids.length && !macs.length) return [];
      return byIdentifiers.all(json(serials), json(systemUuids), json(macs)).map(toRecord);
    },
    async list({ importId, limit }) {
      return (importId ? listImport.all(importId, limit) : listAll.all(limit)).map(toRecord);
    },
    async count() {
      return count.get()!.n;
    },
    async claim(id, hostId, now) {
      claim.run(hostId, now, id);
    },
    async rowOfToken(tokenId) {
      const row = rowOfToken.get(tokenId);
      return row && toRecord(row);
    },
    async bindToken(tokenId, rowId) {
      bindToken.run(rowId, tokenId);
    },
    async tokensOfImport(importId) {
      return tokensOfImport.all(importId);
    },
    async setTokenEphemeral(tokenId, minutes) {
      setTokenEphemeral.run(minutes, tokenId);
    },
    async setHostEphemeral(hostId, minutes) {
      setHostEphemeral.run(minutes, hostId);
    },
    async staleEphemeralHosts(now, limit) {
      return staleEphemeral.all(now, limit);
    },
    async silentApprovedHosts(cutoff, limit) {
      return silentApproved.all(cutoff, limit);
    },
  };
}
