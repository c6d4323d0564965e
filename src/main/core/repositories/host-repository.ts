import type { HostFacts } from '../../../shared/api/schemas';
import { HOST_STATUSES, type ExpectedMatch, type HostAlarm, type HostStatus } from '../../../shared/domain';
import { hostSearchText } from '../../../shared/host-search';
import type { Statement } from 'better-sqlite3';
import type { Db } from '../db/connection';
import type { HostCounts, HostQuery, HostRecord, HostRepository, NewHost } from '../store/repositories';
import { readJson, readStringArray } from './json-column';

interface Row {
  id: string;
  hostname: string;
  machine_id: string;
  status: HostStatus;
  remote_addr: string;
  ips: string;
  os: string | null;
  arch: string | null;
  labels: string;
  facts: string | null;
  token_id: string | null;
  token_prefix: string | null;
  verification_code: string;
  replaces: string | null;
  replaces_hostname: string | null;
  conflict: number;
  expected: string | null;
  alarm: HostAlarm | null;
  ever_approved: number;
  registered_at: number;
  decided_at: number | null;
  decided_by: string | null;
  reject_reason: string | null;
  last_seen_at: number | null;
  retired_at: number | null;
  replaced_by: string | null;
}

// Credential hashes never leave this module: selected columns only.
const COLUMNS = `h.id, h.hostname, h.machine_id, h.status, h.remote_addr, h.ips, h.os, h.arch, h.labels,
  h.facts, h.token_id, h.token_prefix, h.verification_code, h.replaces, h.conflict, h.expected, h.alarm,
  h.ever_approved, h.registered_at, h.decided_at, h.decided_by, h.reject_reason, h.last_seen_at,
  h.retired_at, h.replaced_by, r.hostname AS replaces_hostname`;
const FROM = 'FROM hosts h LEFT JOIN hosts r ON r.id = h.replaces';

function toRecord(row: Row): HostRecord {
  return {
    ...row,
    ips: readStringArray(row.ips),
    labels: readStringArray(row.labels),
    facts: readJson<HostFacts>(row.facts),
    expected: readJson<ExpectedMatch>(row.expected),
    conflict: row.conflict === 1,
    ever_approved: row.ever_approved === 1,
  };
}

/** What search matches, lower-cased: the shared definition, fed from a new host's fields. */
export function searchText(host: Pick<NewHost, 'hostname' | 'remoteAddr' | 'ips' | 'labels' | 'machineId' | 'facts'>) {
  return hostSearchText({
    hostname: host.hostname,
    remote_addr: host.remoteAddr,
    ips: host.ips,
    labels: host.labels,
    machine_id: host.machineId,
    facts: host.facts,
  });
}

const SORT_COLUMN = {
  registered_at: 'h.registered_at',
  hostname: 'h.hostname',
  last_seen_at: 'h.last_seen_at',
  status: 'h.status',
};

/** `LIKE` with the user's text taken literally. */
const likePattern = (term: string) => `%${term.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** Builds the WHERE clause of a host query; shared by the page and its total. */
function whereOf(q: HostQuery): { sql: string; params: unknown[] } {
  const clauses = ['h.retired_at IS NULL'];
  const params: unknown[] = [];
  const add = (clause: string, ...values: unknown[]) => {
    clauses.push(clause);
    params.push(...values);
  };
  if (q.status) add('h.status = ?', q.status);
  if (q.tokenId) add('h.token_id = ?', q.tokenId);
  if (q.connectivity === 'NEVER') add('h.last_seen_at IS NULL');
  if (q.connectivity === 'ONLINE') add('h.last_seen_at >= ?', q.onlineSince);
  if (q.connectivity === 'OFFLINE') add('h.last_seen_at < ?', q.onlineSince);
  if (q.expectedOnly) add('h.expected IS NOT NULL AND h.alarm IS NULL');
  if (q.label) add('EXISTS (SELECT 1 FROM json_each(h.labels) WHERE value = ?)', q.label);
  // Terms of three characters or more go through the trigram index; shorter ones scan.
  const terms = (q.terms ?? []).map((t) => t.toLowerCase());
  const indexed = terms.filter((t) => t.length >= 3);
  if (indexed.length) {
    add(
      'h.rowid IN (SELECT rowid FROM hosts_search WHERE hosts_search MATCH ?)',
      indexed.map((t) => `"${t.replaceAll('"', '""')}"`).join(' AND '),
    );
  }
  for (const term of terms.filter((t) => t.length < 3)) add("h.search_text LIKE ? ESCAPE '\\'", likePattern(term));
  if (q.ids) add('h.id IN (SELECT value FROM json_each(?))', JSON.stringify(q.ids));
  return { sql: clauses.join(' AND '), params };
}

/** Keyset condition: rows strictly after (value, id) in the chosen order; NULLs sort first. */
function afterClause(q: HostQuery): { sql: string; params: unknown[] } {
  if (!q.after) return { sql: '', params: [] };
  const col = SORT_COLUMN[q.sort];
  const { value, id } = q.after;
  const op = q.descending ? '<' : '>';
  if (value === null) {
    // Ascending: NULLs first, then values. Descending: values first, then NULLs.
    return q.descending
      ? { sql: ` AND (${col} IS NULL AND h.id < ?)`, params: [id] }
      : { sql: ` AND ((${col} IS NULL AND h.id > ?) OR ${col} IS NOT NULL)`, params: [id] };
  }
  return q.descending
    ? { sql: ` AND ((${col} < ?) OR (${col} = ? AND h.id < ?) OR ${col} IS NULL)`, params: [value, value, id] }
    : { sql: ` AND ((${col} ${op} ?) OR (${col} = ? AND h.id ${op} ?))`, params: [value, value, id] };
}

/** SQL for hosts and their credentials; rules live in the enrolment and host services. */
export function createHostRepository(db: Db): HostRepository {
  const insert = db.prepare(`
    INSERT INTO hosts (id, hostname, machine_id, status, remote_addr, ips, os, arch, labels, facts,
      system_uuid, serial, token_id, token_prefix, verification_code, replaces, conflict, expected, alarm,
      ever_approved, credential_hash, registered_at, decided_at, decided_by, search_text)
    VALUES (@id, @hostname, @machineId, @status, @remoteAddr, @ips, @os, @arch, @labels, @facts,
      @systemUuid, @serial, @tokenId, @tokenPrefix, @verificationCode, @replaces, @conflict, @expected, @alarm,
      @everApproved, @credentialHash, @registeredAt, @decidedAt, @decidedBy, @searchText)`);
  const byId = db.prepare<[string], Row>(`SELECT ${COLUMNS} ${FROM} WHERE h.id = ?`);
  const byMachine = db.prepare<[string], Row>(
    `SELECT ${COLUMNS} ${FROM} WHERE h.machine_id = ? AND h.retired_at IS NULL ORDER BY h.registered_at`,
  );
  const byHardware = db.prepare<{ uuid: string | null; serial: string | null }, Row>(
    `SELECT ${COLUMNS} ${FROM} WHERE h.retired_at IS NULL
       AND ((@uuid IS NOT NULL AND h.system_uuid = @uuid) OR (@serial IS NOT NULL AND h.serial = @serial))
     ORDER BY h.registered_at`,
  );
  const byCredential = db.prepare<[{ hash: Buffer }], Row & { current: number }>(
    `SELECT ${COLUMNS}, (h.credential_hash = @hash) AS current ${FROM}
      WHERE h.id = coalesce((SELECT id FROM hosts WHERE credential_hash = @hash),
                            (SELECT id FROM hosts WHERE next_credential_hash = @hash))
        AND h.retired_at IS NULL`,
  );
  const setStatus = db.prepare(`
    UPDATE hosts SET status = @status, decided_at = @now, decided_by = @actor, reject_reason = @reason,
           ever_approved = ever_approved OR @status = 'APPROVED'
     WHERE id = @id`);
  const setConflict = db.prepare('UPDATE hosts SET conflict = ? WHERE id = ?');
  const setAlarm = db.prepare('UPDATE hosts SET alarm = ? WHERE id = ?');
  const retire = db.prepare(`
    UPDATE hosts SET retired_at = @now, replaced_by = @replacedBy, credential_hash = NULL,
           next_credential_hash = NULL, conflict = 0
     WHERE id = @id AND retired_at IS NULL`);
  const remove = db.prepare('DELETE FROM hosts WHERE id = ?');
  const promote = db.prepare(
    'UPDATE hosts SET credential_hash = next_credential_hash, next_credential_hash = NULL WHERE id = ? AND next_credential_hash IS NOT NULL',
  );
  const setNext = db.prepare('UPDATE hosts SET next_credential_hash = ? WHERE id = ?');
  const touch = db.prepare(
    'UPDATE hosts SET last_seen_at = @at WHERE id = @id AND (last_seen_at IS NULL OR last_seen_at < @at)',
  );
  const countByStatus = db.prepare<[], { status: HostStatus; n: number }>(
    'SELECT status, COUNT(*) AS n FROM hosts WHERE retired_at IS NULL GROUP BY status',
  );
  const countConnectivity = db.prepare<
    { since: number },
    { never: number; online: number; offline: number; oldest: number | null }
  >(`
    SELECT COALESCE(SUM(last_seen_at IS NULL), 0) AS never,
           COALESCE(SUM(last_seen_at >= @since), 0) AS online,
           COALESCE(SUM(last_seen_at < @since), 0) AS offline,
           MIN(CASE WHEN last_seen_at >= @since THEN last_seen_at END) AS oldest
      FROM hosts WHERE retired_at IS NULL AND status = 'APPROVED'`);
  const pageCache = new Map<string, Statement<unknown[]>>();
  const prepared = (sql: string) => {
    let stmt = pageCache.get(sql);
    if (!stmt) pageCache.set(sql, (stmt = db.prepare<unknown[]>(sql)));
    return stmt;
  };

  return {
    async insert(host) {
      insert.run({
        ...host,
        ips: JSON.stringify(host.ips),
        labels: JSON.stringify(host.labels),
        facts: host.facts ? JSON.stringify(host.facts) : null,
        systemUuid: host.facts?.system_uuid?.toLowerCase() ?? null,
        serial: host.facts?.serial ?? null,
        conflict: host.conflict ? 1 : 0,
        expected: host.expected ? JSON.stringify(host.expected) : null,
        everApproved: host.status === 'APPROVED' ? 1 : 0,
        searchText: searchText(host),
      });
    },
    async findById(id) {
      const row = byId.get(id);
      return row && toRecord(row);
    },
    async findByMachineId(machineId) {
      return byMachine.all(machineId).map(toRecord);
    },
    async findByHardware({ systemUuid, serial }) {
      if (!systemUuid && !serial) return [];
      return byHardware.all({ uuid: systemUuid?.toLowerCase() ?? null, serial: serial ?? null }).map(toRecord);
    },
    async findByCredentialHash(hash) {
      const row = byCredential.get({ hash });
      if (!row) return undefined;
      const { current, ...host } = row;
      return { host: toRecord(host), current: current === 1 };
    },
    async query(q) {
      const where = whereOf(q);
      const after = afterClause(q);
      const col = SORT_COLUMN[q.sort];
      const dir = q.descending ? 'DESC' : 'ASC';
      const nulls = q.descending ? 'NULLS LAST' : 'NULLS FIRST';
      const rows = prepared(
        `SELECT ${COLUMNS} ${FROM} WHERE ${where.sql}${after.sql} ORDER BY ${col} ${dir} ${nulls}, h.id ${dir} LIMIT ?`,
      ).all(...where.params, ...after.params, q.limit) as Row[];
      const total = (
        prepared(`SELECT COUNT(*) AS n FROM hosts h WHERE ${where.sql}`).get(...where.params) as { n: number }
      ).n;
      return { hosts: rows.map(toRecord), total };
    },
    async counts(onlineSince) {
      const byStatus = Object.fromEntries(HOST_STATUSES.map((s) => [s, 0])) as Record<HostStatus, number>;
      for (const { status, n } of countByStatus.all()) byStatus[status] = n;
      const c = countConnectivity.get({ since: onlineSince })!;
      const total = Object.values(byStatus).reduce((a, b) => a + b, 0);
      return {
        byStatus,
        byConnectivity: { ONLINE: c.online, OFFLINE: c.offline, NEVER: c.never },
        total,
        oldestOnlineSeenAt: c.oldest,
      } satisfies HostCounts;
    },
    async idsWhere(filter, limit) {
      const params: unknown[] = [filter.status];
      let sql = 'SELECT id FROM hosts WHERE retired_at IS NULL AND status = ?';
      if (filter.tokenId) {
        sql += ' AND token_id = ?';
        params.push(filter.tokenId);
      }
      if (filter.expectedOnly) sql += ' AND expected IS NOT NULL AND alarm IS NULL';
      sql += ' ORDER BY registered_at, id LIMIT ?';
      return (prepared(sql).all(...params, limit) as { id: string }[]).map((r) => r.id);
    },
    async setStatus(id, status, now, actor, reason = null) {
      setStatus.run({ id, status, now, actor, reason });
    },
    async setConflict(ids, conflict) {
      for (const id of ids) setConflict.run(conflict ? 1 : 0, id);
    },
    async setAlarm(id, alarm) {
      setAlarm.run(alarm, id);
    },
    async retire(id, now, replacedBy) {
      retire.run({ id, now, replacedBy });
    },
    async delete(id) {
      return remove.run(id).changes === 1;
    },
    async promoteNextCredential(id) {
      promote.run(id);
    },
    async setNextCredential(id, hash) {
      setNext.run(hash, id);
    },
    async touchLastSeen(beats) {
      for (const [id, at] of beats) touch.run({ id, at });
    },
  };
}
