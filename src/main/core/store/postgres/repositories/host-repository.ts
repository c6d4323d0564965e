import type { HostFacts } from '../../../../../shared/api/schemas';
import { HOST_STATUSES, type ExpectedMatch, type HostAlarm, type HostStatus } from '../../../../../shared/domain';
import { searchText } from '../../../repositories/host-repository';
import { readJson, readStringArray } from '../../../repositories/json-column';
import type { HostCounts, HostQuery, HostRecord, HostRepository } from '../../repositories';
import { placeholders, type Sql } from './sql';

type Row = Omit<HostRecord, 'ips' | 'labels' | 'facts' | 'expected' | 'alarm'> & {
  ips: string;
  labels: string;
  facts: string | null;
  expected: string | null;
  alarm: HostAlarm | null;
};

// Credential hashes never leave this module: selected columns only (the SQLite repository's list).
const COLUMNS = `h.id, h.hostname, h.machine_id, h.status, h.remote_addr, h.ips, h.os, h.arch, h.labels,
  h.facts, h.token_id, h.token_prefix, h.verification_code, h.replaces, h.conflict, h.expected, h.alarm,
  h.ever_approved, h.registered_at, h.decided_at, h.decided_by, h.reject_reason, h.last_seen_at,
  h.retired_at, h.replaced_by, r.hostname AS replaces_hostname`;
const FROM = 'FROM hosts h LEFT JOIN hosts r ON r.id = h.replaces';

const toRecord = (row: Row): HostRecord => ({
  ...row,
  ips: readStringArray(row.ips),
  labels: readStringArray(row.labels),
  facts: readJson<HostFacts>(row.facts),
  expected: readJson<ExpectedMatch>(row.expected),
});

const SORT_COLUMN = {
  registered_at: 'h.registered_at',
  hostname: 'h.hostname',
  last_seen_at: 'h.last_seen_at',
  status: 'h.status',
};

/** `LIKE` with the user's text taken literally. */
const likePattern = (term: string) => `%${term.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

type Params = ReturnType<typeof placeholders>;

/** The WHERE clause of a host query, shared by the page and its total; as SQLite's, term for term. */
function whereOf(q: HostQuery, { p }: Params): string {
  const clauses = ['h.retired_at IS NULL'];
  if (q.status) clauses.push(`h.status = ${p(q.status)}`);
  if (q.tokenId) clauses.push(`h.token_id = ${p(q.tokenId)}`);
  if (q.connectivity === 'NEVER') clauses.push('h.last_seen_at IS NULL');
  if (q.connectivity === 'ONLINE') clauses.push(`h.last_seen_at >= ${p(q.onlineSince)}`);
  if (q.connectivity === 'OFFLINE') clauses.push(`h.last_seen_at < ${p(q.onlineSince)}`);
  if (q.expectedOnly) clauses.push('h.expected IS NOT NULL AND h.alarm IS NULL');
  if (q.label) clauses.push(`h.labels::jsonb @> jsonb_build_array(${p(q.label)}::text)`);
  // Substring match on the lower-cased search text (the trigram index serves it where pg_trgm exists).
  for (const term of q.terms ?? []) clauses.push(`h.search_text LIKE ${p(likePattern(term))} ESCAPE '\\'`);
  if (q.ids) clauses.push(`h.id = ANY(${p(q.ids)}::text[])`);
  return clauses.join(' AND ');
}

/** Keyset condition: rows strictly after (value, id) in the chosen order; NULLs first ascending, last descending. */
function afterClause(q: HostQuery, { p }: Params): string {
  if (!q.after) return '';
  const col = SORT_COLUMN[q.sort];
  const { value, id } = q.after;
  if (value === null) {
    return q.descending
      ? ` AND (${col} IS NULL AND h.id < ${p(id)})`
      : ` AND ((${col} IS NULL AND h.id > ${p(id)}) OR ${col} IS NOT NULL)`;
  }
  const v = p(value);
  return q.descending
    ? ` AND ((${col} < ${v}) OR (${col} = ${v} AND h.id < ${p(id)}) OR ${col} IS NULL)`
    : ` AND ((${col} > ${v}) OR (${col} = ${v} AND h.id > ${p(id)}))`;
}

/** Hosts and their credentials on PostgreSQL; rules live in the enrolment and host services. */
export function createPgHostRepository(sql: Sql): HostRepository {
  const setConflict: HostRepository['setConflict'] = async (ids, conflict) => {
    await sql.run('UPDATE hosts SET conflict = $1 WHERE id = ANY($2::text[])', [conflict, ids]);
  };
  return {
    async insert(h) {
      await sql.run(
        `INSERT INTO hosts (id, hostname, machine_id, status, remote_addr, ips, os, arch, labels, facts,
           system_uuid, serial, token_id, token_prefix, verification_code, replaces, conflict, expected, alarm,
           ever_approved, credential_hash, registered_at, decided_at, decided_by, search_text)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21,
           $22, $23, $24, $25)`,
        [
          h.id,
          h.hostname,
          h.machineId,
          h.status,
          h.remoteAddr,
          JSON.stringify(h.ips),
          h.os,
          h.arch,
          JSON.stringify(h.labels),
          h.facts ? JSON.stringify(h.facts) : null,
          h.facts?.system_uuid?.toLowerCase() ?? null,
          h.facts?.serial ?? null,
          h.tokenId,
          h.tokenPrefix,
          h.verificationCode,
          h.replaces,
          h.conflict,
          h.expected ? JSON.stringify(h.expected) : null,
          h.alarm,
          h.status === 'APPROVED',
          h.credentialHash,
          h.registeredAt,
          h.decidedAt,
          h.decidedBy,
          searchText(h),
        ],
      );
    },
    async findById(id) {
      const row = await sql.one<Row>(`SELECT ${COLUMNS} ${FROM} WHERE h.id = $1`, [id]);
      return row && toRecord(row);
    },
    async findByMachineId(machineId) {
      const rows = await sql.rows<Row>(
        `SELECT ${COLUMNS} ${FROM} WHERE h.machine_id = $1 AND h.retired_at IS NULL ORDER BY h.registered_at`,
        [machineId],
      );
      return rows.map(toRecord);
    },
    async findByHardware({ systemUuid, serial }) {
      if (!systemUuid && !serial) return [];
      const rows = await sql.rows<Row>(
        `SELECT ${COLUMNS} ${FROM} WHERE h.retired_at IS NULL
           AND (($1::text IS NOT NULL AND h.system_uuid = $1) OR ($2::text IS NOT NULL AND h.serial = $2))
         ORDER BY h.registered_at`,
        [systemUuid?.toLowerCase() ?? null, serial ?? null],
      );
      return rows.map(toRecord);
    },
    async findByCredentialHash(hash) {
      const row = await sql.one<Row & { current: boolean }>(
        `SELECT ${COLUMNS}, (h.credential_hash IS NOT DISTINCT FROM $1) AS current ${FROM}
          WHERE h.id = coalesce((SELECT id FROM hosts WHERE credential_hash = $1),
                                (SELECT id FROM hosts WHERE next_credential_hash = $1))
            AND h.retired_at IS NULL`,
        [hash],
      );
      if (!row) return undefined;
      const { current, ...rest } = row;
      return { host: toRecord(rest), current };
    },
    async query(q) {
      const page = placeholders();
      const where = whereOf(q, page);
      const after = afterClause(q, page);
      const col = SORT_COLUMN[q.sort];
      const dir = q.descending ? 'DESC' : 'ASC';
      const nulls = q.descending ? 'NULLS LAST' : 'NULLS FIRST';
      const rows = await sql.rows<Row>(
        `SELECT ${COLUMNS} ${FROM} WHERE ${where}${after} ORDER BY ${col} ${dir} ${nulls}, h.id ${dir} LIMIT ${page.p(q.limit)}`,
        page.params,
      );
      const count = placeholders();
      const total = await sql.one<{ n: number }>(
        `SELECT count(*) AS n FROM hosts h WHERE ${whereOf(q, count)}`,
        count.params,
      );
      return { hosts: rows.map(toRecord), total: total?.n ?? 0 };
    },
    async counts(onlineSince) {
      const byStatus = Object.fromEntries(HOST_STATUSES.map((s) => [s, 0])) as Record<HostStatus, number>;
      const statuses = await sql.rows<{ status: HostStatus; n: number }>(
        'SELECT status, count(*) AS n FROM hosts WHERE retired_at IS NULL GROUP BY status',
      );
      for (const { status, n } of statuses) byStatus[status] = n;
      const c = (await sql.one<{ never: number; online: number; offline: number; oldest: number | null }>(
        `SELECT count(*) FILTER (WHERE last_seen_at IS NULL) AS never,
                count(*) FILTER (WHERE last_seen_at >= $1) AS online,
                count(*) FILTER (WHERE last_seen_at < $1) AS offline,
                min(last_seen_at) FILTER (WHERE last_seen_at >= $1) AS oldest
           FROM hosts WHERE retired_at IS NULL AND status = 'APPROVED'`,
        [onlineSince],
      ))!;
      return {
        byStatus,
        byConnectivity: { ONLINE: c.online, OFFLINE: c.offline, NEVER: c.never },
        total: Object.values(byStatus).reduce((a, b) => a + b, 0),
        oldestOnlineSeenAt: c.oldest,
      } satisfies HostCounts;
    },
    async idsWhere(filter, limit) {
      const { params, p } = placeholders();
      let text = `SELECT id FROM hosts WHERE retired_at IS NULL AND status = ${p(filter.status)}`;
      if (filter.tokenId) text += ` AND token_id = ${p(filter.tokenId)}`;
      if (filter.expectedOnly) text += ' AND expected IS NOT NULL AND alarm IS NULL';
      text += ` ORDER BY registered_at, id LIMIT ${p(limit)}`;
      return (await sql.rows<{ id: string }>(text, params)).map((r) => r.id);
    },
    async setStatus(id, status, now, actor, reason = null) {
      await sql.run(
        `UPDATE hosts SET status = $2, decided_at = $3, decided_by = $4, reject_reason = $5,
                ever_approved = ever_approved OR $2 = 'APPROVED'
          WHERE id = $1`,
        [id, status, now, actor, reason],
      );
    },
    setConflict,
    async setAlarm(id, alarm) {
      await sql.run('UPDATE hosts SET alarm = $2 WHERE id = $1', [id, alarm]);
    },
    async retire(id, now, replacedBy) {
      await sql.run(
        `UPDATE hosts SET retired_at = $2, replaced_by = $3, credential_hash = NULL, next_credential_hash = NULL,
                conflict = FALSE
          WHERE id = $1 AND retired_at IS NULL`,
        [id, now, replacedBy],
      );
    },
    async delete(id) {
      return (await sql.run('DELETE FROM hosts WHERE id = $1', [id])) === 1;
    },
    async promoteNextCredential(id) {
      await sql.run(
        `UPDATE hosts SET credential_hash = next_credential_hash, next_credential_hash = NULL
          WHERE id = $1 AND next_credential_hash IS NOT NULL`,
        [id],
      );
    },
    async setNextCredential(id, hash) {
      await sql.run('UPDATE hosts SET next_credential_hash = $2 WHERE id = $1', [id, hash]);
    },
    // One statement per flush. GREATEST-style: a server whose beats are older than what
    // another server already wrote never moves last_seen_at backwards.
    async touchLastSeen(beats) {
      if (!beats.length) return;
      const sorted = [...beats].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      await sql.run(
        `UPDATE hosts h SET last_seen_at = GREATEST(coalesce(h.last_seen_at, b.at), b.at)
           FROM unnest($1::text[], $2::bigint[]) AS b(id, at)
          WHERE h.id = b.id AND (h.last_seen_at IS NULL OR h.last_seen_at < b.at)`,
        [sorted.map(([id]) => id), sorted.map(([, at]) => at)],
      );
    },
  };
}
