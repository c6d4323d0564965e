import { useEffect, useState } from 'react';
import type { ApprovalRule, ApprovalRuleMatch, RegistrationToken } from '../../../../shared/domain';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { EmptyState } from '../../components/EmptyState';
import { useApp } from '../../stores/context';
import { RuleForm } from './RuleForm';

/** A rule's conditions in words: every one must hold. */
export function describeMatch(match: ApprovalRuleMatch, tokens: RegistrationToken[]): string {
  const parts: string[] = [];
  if (match.vendor) parts.push(`vendor is ${match.vendor}`);
  if (match.model) parts.push(`model is ${match.model}`);
  if (match.cidr) parts.push(`from ${match.cidr}`);
  if (match.label) parts.push(`labelled ${match.label}`);
  if (match.token_id) {
    const t = tokens.find((x) => x.id === match.token_id);
    parts.push(`token ${t ? `${t.prefix}…` : match.token_id}`);
  }
  return parts.join(' and ');
}

/**
 * Standing approvals, evaluated first to last: the first enabled rule whose conditions all
 * hold approves the request, until its cap is used. Re-enrolments, conflicts and alarms
 * always wait for a person.
 */
export function RulesPage() {
  const { rules, loaded, tokens, loadRules, moveRule, updateRule, deleteRule } = useApp((s) => ({
    rules: s.rules,
    loaded: s.rulesLoaded,
    tokens: s.tokens,
    loadRules: s.loadRules,
    moveRule: s.moveRule,
    updateRule: s.updateRule,
    deleteRule: s.deleteRule,
  }));
  const [editing, setEditing] = useState<ApprovalRule | 'new' | null>(null);
  const [deleting, setDeleting] = useState<ApprovalRule | null>(null);
  useEffect(() => void loadRules(), [loadRules]);

  async function move(rule: ApprovalRule, delta: -1 | 1) {
    if (!(await moveRule(rule.id, delta))) return;
    // The row moved in the DOM; keep focus on its button, or its other one at either end.
    requestAnimationFrame(() => {
      const row = document.querySelector(`[data-rule-id="${rule.id}"]`);
      const same = row?.querySelector<HTMLButtonElement>(`[data-move="${delta}"]`);
      const other = row?.querySelector<HTMLButtonElement>(`[data-move="${-delta}"]`);
      (same && !same.disabled ? same : other)?.focus();
    });
  }

  return (
    <>
      <div className="page-header">
        <h1 tabIndex={-1}>Approval rules</h1>
        <button type="button" className="primary" onClick={() => setEditing('new')}>
          New rule
        </button>
      </div>
      <p className="muted intro">
        Rules are tried in order; the first enabled rule whose conditions all hold approves the request, until its cap
        is used. Re-enrolments, conflicts and alarms always wait for you. Each approval is audited with the rule&apos;s
        name.
      </p>
      {!loaded ? (
        <p className="muted">Loading rules…</p>
      ) : rules.length === 0 ? (
        <EmptyState title="No approval rules">
          Every request waits in the queue. A rule approves matching requests by vendor, model, network, label or token.
        </EmptyState>
      ) : (
        <ol className="panel rule-list" aria-label="Approval rules in order">
          {rules.map((rule, i) => (
            <li key={rule.id} className="rule-row" data-rule-id={rule.id} aria-label={`Rule ${i + 1}: ${rule.name}`}>
              <span className="rule-position tabular" aria-hidden="true">
                {i + 1}
              </span>
              <div className="rule-main">
                <p className="strong">
                  {rule.name}
                  {!rule.enabled && <span className="flag flag-warning">disabled</span>}
                </p>
                <p className="muted">When {describeMatch(rule.match, tokens)}</p>
                <p className="muted tabular">
                  Approved {rule.used_count}
                  {rule.max_count === 0 ? ' (no cap)' : ` of ${rule.max_count}`}
                </p>
              </div>
              <div className="rule-actions">
                <label className="check">
                  <input
                    type="checkbox"
                    checked={rule.enabled}
                    onChange={(e) => void updateRule({ id: rule.id, enabled: e.target.checked })}
                  />
                  <span>
                    Enabled<span className="visually-hidden"> {rule.name}</span>
                  </span>
                </label>
                <button type="button" data-move="-1" disabled={i === 0} onClick={() => void move(rule, -1)}>
                  Move up<span className="visually-hidden"> {rule.name}</span>
                </button>
                <button
                  type="button"
                  data-move="1"
                  disabled={i === rules.length - 1}
                  onClick={() => void move(rule, 1)}
                >
                  Move down<span className="visually-hidden"> {rule.name}</span>
                </button>
                <button type="button" onClick={() => setEditing(rule)}>
                  Edit<span className="visually-hidden"> {rule.name}</span>
                </button>
                <button type="button" className="danger-link" onClick={() => setDeleting(rule)}>
                  Delete<span className="visually-hidden"> {rule.name}</span>
                </button>
              </div>
            </li>
          ))}
        </ol>
      )}
      {editing && <RuleForm rule={editing === 'new' ? null : editing} onClose={() => setEditing(null)} />}
      {deleting && (
        <ConfirmDialog
          title={`Delete the rule ${deleting.name}?`}
          confirmLabel="Delete rule"
          danger
          onCancel={() => setDeleting(null)}
          onConfirm={async () => {
            await deleteRule(deleting.id);
            setDeleting(null);
          }}
        >
          Requests it would have approved wait in the queue again. Hosts it approved stay approved.
        </ConfirmDialog>
      )}
    </>
  );
}
