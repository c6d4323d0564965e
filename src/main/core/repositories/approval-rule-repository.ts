import type { Db } from '../db/connection';
import type { ApprovalRuleMatch, ApprovalRuleRecord, ApprovalRuleRepository } from '../store/repositories';
import { readJson } from './json-column';

interface Row extends Omit<ApprovalRuleRecord, 'enabled' | 'match'> {
  enabled: number;
  match: string;
}

const toRecord = (row: Row): ApprovalRuleRecord => ({
  ...row,
  enabled: row.enabled === 1,
  match: readJson<ApprovalRuleMatch>(row.match) ?? {},
});

/** SQL for approval rules; what a rule means lives in the approval-rule service. */
export function createApprovalRuleRepository(db: Db): ApprovalRuleRepository {
  const insert = db.prepare(`
    INSERT INTO approval_rules (id, name, position, enabled, match, max_count, created_at, created_by)
    VALUES (@id, @name, @position, @enabled, @match, @max_count, @created_at, @created_by)`);
  const byId = db.prepare<[string], Row>('SELECT * FROM approval_rules WHERE id = ?');
  const list = db.prepare<[], Row>('SELECT * FROM approval_rules ORDER BY position, created_at, id');
  const setPosition = db.prepare('UPDATE approval_rules SET position = ? WHERE id = ?');
  // One conditional UPDATE: the cap holds however many registrations race for it.
  const claim = db.prepare(
    'UPDATE approval_rules SET used_count = used_count + 1 WHERE id = ? AND enabled = 1 AND (max_count = 0 OR used_count < max_count)',
  );
  const remove = db.prepare('DELETE FROM approval_rules WHERE id = ?');

  return {
    async insert(rule) {
      insert.run({ ...rule, enabled: rule.enabled ? 1 : 0, match: JSON.stringify(rule.match) });
    },
    async findById(id) {
      const row = byId.get(id);
      return row && toRecord(row);
    },
    async list() {
      return list.all().map(toRecord);
    },
    async update(id, patch) {
      const values: Record<string, unknown> = {
        name: patch.name,
        enabled: patch.enabled === undefined ? undefined : patch.enabled ? 1 : 0,
        match: patch.match === undefined ? undefined : JSON.stringify(patch.match),
        max_count: patch.max_count,
      };
      const given = Object.entries(values).filter(([, v]) => v !== undefined);
      const sets = given.map(([k]) => `${k} = @${k}`);
      const params = { id, ...Object.fromEntries(given) };
      if (sets.length) db.prepare(`UPDATE approval_rules SET ${sets.join(', ')} WHERE id = @id`).run(params);
    },
    async setPositions(order) {
      order.forEach((id, i) => setPosition.run(i + 1, id));
    },
    async claimUse(id) {
      return claim.run(id).changes === 1;
    },
    async delete(id) {
      return remove.run(id).changes === 1;
    },
  };
}
