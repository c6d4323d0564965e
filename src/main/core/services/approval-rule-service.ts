import { randomUUID } from 'node:crypto';
import { ApiError } from '../../../shared/api/errors';
import type { ParsedInput } from '../../../shared/api/operations';
import type { HostFacts } from '../../../shared/api/schemas';
import type { ApprovalRule } from '../../../shared/domain';
import { iso } from '../repositories/json-column';
import { addressAllowed } from '../security/cidr';
import type { ApprovalRuleMatch, ApprovalRuleRecord } from '../store/repositories';
import type { Repositories, Store, UnitOfWork } from '../store/store';
import type { AuditService } from './audit-service';
import type { Clock } from './clock';

/** What a rule sees of a registration: reported facts, labels, token and source. */
export interface RuleSubject {
  facts: HostFacts | null;
  labels: string[];
  tokenId: string;
  address: string;
}

const same = (a: string | undefined, b: string) => a !== undefined && a.trim().toLowerCase() === b.trim().toLowerCase();

/** True when every condition the rule gives holds for this request (AND); a rule with none matches nothing. */
export function ruleMatches(match: ApprovalRuleMatch, subject: RuleSubject): boolean {
  const conditions = Object.values(match).filter((v) => v !== undefined);
  if (conditions.length === 0) return false;
  if (match.vendor !== undefined && !same(subject.facts?.vendor, match.vendor)) return false;
  if (match.model !== undefined && !same(subject.facts?.model, match.model)) return false;
  if (match.cidr !== undefined && !addressAllowed(subject.address, [match.cidr])) return false;
  if (match.label !== undefined && !subject.labels.includes(match.label)) return false;
  if (match.token_id !== undefined && subject.tokenId !== match.token_id) return false;
  return true;
}

export const toApiRule = (r: ApprovalRuleRecord): ApprovalRule => ({
  id: r.id,
  name: r.name,
  position: r.position,
  enabled: r.enabled,
  match: r.match,
  max_count: r.max_count,
  used_count: r.used_count,
  created_at: iso(r.created_at)!,
  created_by: r.created_by,
});

/**
 * Approval rules: standing decisions on what a request reports and where it comes from.
 * Evaluated in order; the first enabled rule whose conditions all hold and whose cap is
 * not reached approves the request, and the audit entry names it.
 */
export function createApprovalRuleService(deps: { store: Store; audit: AuditService; clock: Clock }) {
  async function mustFind(repos: Repositories, id: string): Promise<ApprovalRuleRecord> {
    const rule = await repos.approvalRules.findById(id);
    if (!rule) throw new ApiError('NOT_FOUND', 'No approval rule has that id. It may have been deleted.');
    return rule;
  }

  /** Puts `id` at 1-based `position` and renumbers every rule 1..n. */
  async function place(tx: UnitOfWork, id: string, position: number | undefined): Promise<void> {
    const others = (await tx.approvalRules.list()).map((r) => r.id).filter((r) => r !== id);
    const at = Math.min(Math.max((position ?? others.length + 1) - 1, 0), others.length);
    others.splice(at, 0, id);
    await tx.approvalRules.setPositions(others);
  }

  async function changed(tx: UnitOfWork, actor: string, action: string, rule: ApprovalRuleRecord, detail = {}) {
    await deps.audit.record(tx, {
      actor,
      action: `rule.${action}`,
      targetType: 'rule',
      targetId: rule.id,
      detail: { name: rule.name, ...detail },
    });
    tx.emit({ topic: 'rules', action, id: rule.id });
  }

  return {
    async list(): Promise<{ rules: ApprovalRule[] }> {
      return { rules: (await deps.store.read((r) => r.approvalRules.list())).map(toApiRule) };
    },

    create(input: ParsedInput<'rules.create'>, actor: string): Promise<ApprovalRule> {
      return deps.store.write(async (tx) => {
        const id = randomUUID();
        const count = (await tx.approvalRules.list()).length;
        await tx.approvalRules.insert({
          id,
          name: input.name,
          position: count + 1,
          enabled: input.enabled ?? true,
          match: input.match,
          max_count: input.max_count,
          created_at: deps.clock.now(),
          created_by: actor,
        });
        await place(tx, id, input.position);
        const rule = await mustFind(tx, id);
        await changed(tx, actor, 'created', rule, {
          match: rule.match,
          max_count: rule.max_count,
          enabled: rule.enabled,
        });
        return toApiRule(rule);
      });
    },

    update(input: ParsedInput<'rules.update'>, actor: string): Promise<ApprovalRule> {
      return deps.store.write(async (tx) => {
        const before = await mustFind(tx, input.id);
        const { id, position, ...patch } = input;
        await tx.approvalRules.update(id, patch);
        if (position !== undefined) await place(tx, id, position);
        const rule = await mustFind(tx, id);
        const action =
          patch.enabled === undefined || patch.enabled === before.enabled
            ? 'updated'
            : patch.enabled
              ? 'enabled'
              : 'disabled';
        await changed(tx, actor, action, rule, {
          ...patch,
          ...(position !== undefined ? { position: rule.position } : {}),
        });
        return toApiRule(rule);
      });
    },

    reorder(ids: string[], actor: string): Promise<{ rules: ApprovalRule[] }> {
      return deps.store.write(async (tx) => {
        const all = await tx.approvalRules.list();
        const given = new Set(ids);
        if (given.size !== ids.length || all.length !== ids.length || all.some((r) => !given.has(r.id))) {
          throw new ApiError('VALIDATION_FAILED', 'ids must name every approval rule exactly once.', [
            { path: 'ids', message: 'every rule exactly once' },
          ]);
        }
        await tx.approvalRules.setPositions(ids);
        await deps.audit.record(tx, { actor, action: 'rule.reordered', targetType: 'rule', detail: { order: ids } });
        tx.emit({ topic: 'rules', action: 'reordered' });
        return { rules: (await tx.approvalRules.list()).map(toApiRule) };
      });
    },

    async delete(id: string, actor: string): Promise<void> {
      await deps.store.write(async (tx) => {
        const rule = await mustFind(tx, id);
        await tx.approvalRules.delete(id);
        await tx.approvalRules.setPositions((await tx.approvalRules.list()).map((r) => r.id));
        await changed(tx, actor, 'deleted', rule, { used_count: rule.used_count });
      });
    },

    /**
     * The first enabled rule that matches and still has room, its use taken in the
     * caller's unit of work (so the cap is exact); undefined when none applies.
     */
    async approving(tx: UnitOfWork, subject: RuleSubject): Promise<ApprovalRuleRecord | undefined> {
      for (const rule of await tx.approvalRules.list()) {
        if (!rule.enabled || !ruleMatches(rule.match, subject)) continue;
        if (await tx.approvalRules.claimUse(rule.id)) return rule;
      }
      return undefined;
    },
  };
}

export type ApprovalRuleService = ReturnType<typeof createApprovalRuleService>;
