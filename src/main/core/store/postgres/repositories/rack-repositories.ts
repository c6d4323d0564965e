import { readJson, readStringArray } from '../../../repositories/json-column';
import type {
  ApprovalRuleMatch,
  ApprovalRuleRecord,
  ApprovalRuleRepository,
  ExpectedHostRecord,
  ExpectedHostRepository,
} from '../../repositories';
import type { Sql } from './sql';

type ExpectedRow = Omit<ExpectedHostRecord, 'labels'> & { labels: string };

const toExpected = (row: ExpectedRow): ExpectedHostRecord => ({ ...row, labels: readStringArray(row.labels) });

const EXPECTED_COLUMNS = `e.id, e.import_id, e.line, e.hostname, e.serial, e.system_uuid, e.mac, e.labels, e.position,
  e.auto_approve, e.claimed_by, e.claimed_at, e.created_at, e.created_by`;

/** Expected hosts (rack imports) and the rack columns of tokens and hosts. */
export function createPgExpectedHostRepository(sql: Sql): ExpectedHostRepository {
  return {
    async insertMany(rows) {
      if (!rows.length) return;
      await sql.run(
        `INSERT INTO expected_hosts (id, import_id, line, hostname, serial, system_uuid, mac, labels, position,
           auto_approve, created_at, created_by)
         SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[], $6::text[], $7::text[],
           $8::text[], $9::text[], $10::boolean[], $11::bigint[], $12::text[])`,
        [
          rows.map((r) => r.id),
          rows.map((r) => r.import_id),
          rows.map((r) => r.line),
          rows.map((r) => r.hostname),
          rows.map((r) => r.serial),
          rows.map((r) => r.system_uuid),
          rows.map((r) => r.mac),
          rows.map((r) => JSON.stringify(r.labels)),
          rows.map((r) => r.position),
          rows.map((r) => r.auto_approve),
          rows.map((r) => r.created_at),
          rows.map((r) => r.created_by),
        ],
      );
    },
    async findById(id) {
      const row = await sql.one<ExpectedRow>(`SELECT ${EXPECTED_COLUMNS} FROM expected_hosts e WHERE e.id = $1`, [id]);
      return row && toExpected(row);
    },
    async findByIdentifiers({ serials, systemUuids, macs }) {
      if (!serials.length && !systemUuids.length && !macs.length) return [];
      const rows = await sql.rows<ExpectedRow>(
        `SELECT ${EXPECTED_COLUMNS} FROM expected_hosts e
          WHERE e.serial = ANY($1::text[]) OR e.system_uuid = ANY($2::text[]) OR e.mac = ANY($3::text[])
          ORDER BY e.created_at, e.import_id, e.line`,
        [serials, systemUuids, macs],
      );
      return rows.map(toExpected);
    },
    async list({ importId, limit }) {
      const rows = importId
        ? await sql.rows<ExpectedRow>(
            `SELECT ${EXPECTED_COLUMNS} FROM expected_hosts e WHERE e.import_id = $1 ORDER BY e.line LIMIT $2`,
            [importId, limit],
          )
        : await sql.rows<ExpectedRow>(
            `SELECT ${EXPECTED_COLUMNS} FROM expected_hosts e ORDER BY e.created_at, e.import_id, e.line LIMIT $1`,
            [limit],
          );
      return rows.map(toExpected);
    },
    async count() {
      return (await sql.one<{ n: number }>('SELECT count(*) AS n FROM expected_hosts'))?.n ?? 0;
    },
    async claim(id, hostId, now) {
      await sql.run('UPDATE expected_hosts SET claimed_by = $2, claimed_at = $3 WHERE id = $1', [id, hostId, now]);
    },
    async rowOfToken(tokenId) {
      const row = await sql.one<ExpectedRow>(
        `SELECT ${EXPECTED_COLUMNS} FROM expected_hosts e
           JOIN registration_tokens t ON t.expected_row_id = e.id WHERE t.id = $1`,
        [tokenId],
      );
      return row && toExpected(row);
    },
    async bindToken(tokenId, rowId) {
      await sql.run('UPDATE registration_tokens SET expected_row_id = $2 WHERE id = $1', [tokenId, rowId]);
    },
    tokensOfImport: (importId) =>
      sql.rows<{ row_id: string; token_id: string }>(
        `SELECT e.id AS row_id, t.id AS token_id FROM registration_tokens t
           JOIN expected_hosts e ON e.id = t.expected_row_id
          WHERE e.import_id = $1 AND t.revoked_at IS NULL ORDER BY e.line`,
        [importId],
      ),
    async setTokenEphemeral(tokenId, minutes) {
      await sql.run('UPDATE registration_tokens SET ephemeral_offline_minutes = $2 WHERE id = $1', [tokenId, minutes]);
    },
    async setHostEphemeral(hostId, minutes) {
      await sql.run('UPDATE hosts SET ephemeral_offline_minutes = $2 WHERE id = $1', [hostId, minutes]);
    },
    staleEphemeralHosts: (now, limit) =>
      sql.rows<{ id: string; hostname: string; minutes: number }>(
        `SELECT id, hostname, ephemeral_offline_minutes AS minutes FROM hosts
          WHERE retired_at IS NULL AND ephemeral_offline_minutes IS NOT NULL
            AND coalesce(last_seen_at, registered_at) < $1 - ephemeral_offline_minutes * 60000::bigint
          ORDER BY coalesce(last_seen_at, registered_at), id LIMIT $2`,
        [now, limit],
      ),
    silentApprovedHosts: (cutoff, limit) =>
      sql.rows<{ id: string; hostname: string; last_seen_at: number | null }>(
        `SELECT id, hostname, last_seen_at FROM hosts
          WHERE retired_at IS NULL AND status = 'APPROVED' AND coalesce(last_seen_at, registered_at) < $1
          ORDER BY coalesce(last_seen_at, registered_at), id LIMIT $2`,
        [cutoff, limit],
      ),
  };
}

type RuleRow = Omit<ApprovalRuleRecord, 'match'> & { match: string };

const toRule = (row: RuleRow): ApprovalRuleRecord => ({
  ...row,
  match: readJson<ApprovalRuleMatch>(row.match) ?? {},
});

const RULE_COLUMNS = 'id, name, position, enabled, match, max_count, used_count, created_at, created_by';

/** Approval rules, in evaluation order; the cap is taken with one conditional UPDATE. */
export function createPgApprovalRuleRepository(sql: Sql): ApprovalRuleRepository {
  return {
    async insert(r) {
      await sql.run(
        `INSERT INTO approval_rules (id, name, position, enabled, match, max_count, created_at, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [r.id, r.name, r.position, r.enabled, JSON.stringify(r.match), r.max_count, r.created_at, r.created_by],
      );
    },
    async findById(id) {
      const row = await sql.one<RuleRow>(`SELECT ${RULE_COLUMNS} FROM approval_rules WHERE id = $1`, [id]);
      return row && toRule(row);
    },
    async list() {
      return (await sql.rows<RuleRow>(`SELECT ${RULE_COLUMNS} FROM approval_rules ORDER BY position, id`)).map(toRule);
    },
    async update(id, patch) {
      await sql.run(
        `UPDATE approval_rules SET name = coalesce($2, name), enabled = coalesce($3, enabled),
                match = coalesce($4, match), max_count = coalesce($5, max_count)
          WHERE id = $1`,
        [
          id,
          patch.name ?? null,
          patch.enabled ?? null,
          patch.match === undefined ? null : JSON.stringify(patch.match),
          patch.max_count ?? null,
        ],
      );
    },
    async setPositions(order) {
      if (!order.length) return;
      await sql.run(
        `UPDATE approval_rules r SET position = o.position
           FROM unnest($1::text[]) WITH ORDINALITY AS o(id, position) WHERE r.id = o.id`,
        [order],
      );
    },
    async claimUse(id) {
      const changed = await sql.run(
        `UPDATE approval_rules SET used_count = used_count + 1
          WHERE id = $1 AND enabled AND (max_count = 0 OR used_count < max_count)`,
        [id],
      );
      return changed === 1;
    },
    async delete(id) {
      return (await sql.run('DELETE FROM approval_rules WHERE id = $1', [id])) === 1;
    },
  };
}
