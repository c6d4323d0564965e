import { useState } from 'react';
import { cidr, label } from '../../../../shared/api/schemas';
import type { ApprovalRule, ApprovalRuleMatch } from '../../../../shared/domain';
import { Modal } from '../../components/Modal';
import { useApp } from '../../stores/context';

/** Create or edit a rule: a name, at least one condition, and how many hosts it may approve. */
export function RuleForm({ rule, onClose }: { rule: ApprovalRule | null; onClose(): void }) {
  const { tokens, createRule, updateRule } = useApp((s) => ({
    tokens: s.tokens,
    createRule: s.createRule,
    updateRule: s.updateRule,
  }));
  const [name, setName] = useState(rule?.name ?? '');
  const [vendor, setVendor] = useState(rule?.match.vendor ?? '');
  const [model, setModel] = useState(rule?.match.model ?? '');
  const [network, setNetwork] = useState(rule?.match.cidr ?? '');
  const [labelText, setLabelText] = useState(rule?.match.label ?? '');
  const [tokenId, setTokenId] = useState(rule?.match.token_id ?? '');
  const [maxCount, setMaxCount] = useState(String(rule?.max_count ?? 10));
  const [enabled, setEnabled] = useState(rule?.enabled ?? true);
  const [busy, setBusy] = useState(false);

  const match: ApprovalRuleMatch = Object.fromEntries(
    Object.entries({ vendor, model, cidr: network, label: labelText, token_id: tokenId })
      .map(([k, v]) => [k, v.trim()])
      .filter(([, v]) => v !== ''),
  );
  const networkValid = network.trim() === '' || cidr.safeParse(network.trim()).success;
  const labelValid = labelText.trim() === '' || label.safeParse(labelText.trim()).success;
  const maxValid = /^\d+$/.test(maxCount) && Number(maxCount) <= 100_000;
  const hasCondition = Object.keys(match).length > 0;
  const valid = name.trim() !== '' && networkValid && labelValid && maxValid && hasCondition;

  return (
    <Modal title={rule ? `Edit rule ${rule.name}` : 'New approval rule'} onClose={onClose} wide>
      <form
        className="stack"
        onSubmit={async (e) => {
          e.preventDefault();
          if (!valid) return;
          setBusy(true);
          const input = { name: name.trim(), match, max_count: Number(maxCount), enabled };
          const saved = rule ? await updateRule({ id: rule.id, ...input }) : await createRule(input);
          setBusy(false);
          if (saved) onClose();
        }}
      >
        <label className="field">
          <span>Name</span>
          <input value={name} maxLength={100} onChange={(e) => setName(e.target.value)} autoFocus />
        </label>
        <fieldset className="stack rule-conditions">
          <legend>Conditions (every one given must hold; at least one)</legend>
          <div className="row">
            <label className="field">
              <span>Vendor</span>
              <input value={vendor} placeholder="Dell Inc." onChange={(e) => setVendor(e.target.value)} />
            </label>
            <label className="field">
              <span>Model</span>
              <input value={model} placeholder="PowerEdge R650" onChange={(e) => setModel(e.target.value)} />
            </label>
          </div>
          <div className="row">
            <label className="field">
              <span>Source network</span>
              <input
                value={network}
                placeholder="10.20.12.0/24"
                aria-invalid={!networkValid}
                aria-describedby="rule-network-help"
                onChange={(e) => setNetwork(e.target.value)}
              />
              <small id="rule-network-help" className={networkValid ? 'muted' : 'error-text'}>
                {networkValid
                  ? 'The address the request came from.'
                  : 'Write an address and prefix, like 10.20.12.0/24.'}
              </small>
            </label>
            <label className="field">
              <span>Label</span>
              <input
                value={labelText}
                placeholder="rack=r12"
                aria-invalid={!labelValid}
                aria-describedby="rule-label-help"
                onChange={(e) => setLabelText(e.target.value)}
              />
              <small id="rule-label-help" className={labelValid ? 'muted' : 'error-text'}>
                {labelValid ? 'Its own or its token’s.' : 'Use key or key=value (letters, digits, . _ / -).'}
              </small>
            </label>
          </div>
          <label className="field">
            <span>Token</span>
            <select value={tokenId} onChange={(e) => setTokenId(e.target.value)}>
              <option value="">Any token</option>
              {tokens.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.prefix}… {t.description}
                </option>
              ))}
            </select>
          </label>
          {!hasCondition && <p className="warning-text">Give at least one condition.</p>}
        </fieldset>
        <div className="row">
          <label className="field">
            <span>Approve at most (hosts; 0 = no cap)</span>
            <input
              inputMode="numeric"
              value={maxCount}
              aria-invalid={!maxValid}
              onChange={(e) => setMaxCount(e.target.value)}
            />
          </label>
          <label className="check">
            <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} />
            <span>Enabled</span>
          </label>
        </div>
        <div className="actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={busy || !valid}>
            {rule ? 'Save rule' : 'Create rule'}
          </button>
        </div>
      </form>
    </Modal>
  );
}
