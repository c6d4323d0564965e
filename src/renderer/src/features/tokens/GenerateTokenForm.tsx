import { useState } from 'react';
import { label } from '../../../../shared/api/schemas';
import { EXPIRY_CHOICES_HOURS, MAX_USES_CHOICES, type CreatedToken } from '../../../../shared/domain';
import { useApp } from '../../stores/context';
import { TokenSecretView } from './TokenSecretView';

const EXPIRY_LABEL: Record<number, string> = { 1: '1 hour', 4: '4 hours', 24: '24 hours', 72: '3 days', 168: '7 days' };
/** Labels typed as "rack=b12 gpu, role=worker", checked by the same schema the server applies. */
export function parseLabels(text: string): { labels: string[]; invalid: string[] } {
  const labels = [...new Set(text.split(/[\s,]+/).filter(Boolean))];
  return { labels, invalid: labels.filter((l) => !label.safeParse(l).success) };
}

export function GenerateTokenForm() {
  const createToken = useApp((s) => s.createToken);
  const [description, setDescription] = useState('');
  const [expiresInHours, setExpiresInHours] = useState(4);
  const [maxUses, setMaxUses] = useState(1);
  const [labelText, setLabelText] = useState('');
  const [autoApprove, setAutoApprove] = useState(false);
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<CreatedToken | null>(null);
  const { labels, invalid } = parseLabels(labelText);

  if (created) {
    return (
      <div className="stack">
        <TokenSecretView secret={created} expiresAt={created.expires_at} />
        <div className="actions">
          <button type="button" onClick={() => setCreated(null)}>
            Create another
          </button>
        </div>
      </div>
    );
  }

  return (
    <form
      className="stack"
      onSubmit={async (e) => {
        e.preventDefault();
        if (invalid.length) return;
        setBusy(true);
        const token = await createToken({
          description: description.trim() || undefined,
          expires_in_hours: expiresInHours,
          max_uses: maxUses,
          labels,
          auto_approve: autoApprove,
        });
        setBusy(false);
        if (token) setCreated(token);
      }}
    >
      <label className="field">
        <span>Description</span>
        <input
          value={description}
          maxLength={200}
          placeholder="Rack B12 reinstall"
          onChange={(e) => setDescription(e.target.value)}
          autoFocus
        />
      </label>
      <div className="row">
        <label className="field">
          <span>Expires after</span>
          <select value={expiresInHours} onChange={(e) => setExpiresInHours(Number(e.target.value))}>
            {EXPIRY_CHOICES_HOURS.map((h) => (
              <option key={h} value={h}>
                {EXPIRY_LABEL[h]}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Max uses</span>
          <select value={maxUses} onChange={(e) => setMaxUses(Number(e.target.value))}>
            {MAX_USES_CHOICES.map((n) => (
              <option key={n} value={n}>
                {n === 0 ? 'Unlimited' : n}
              </option>
            ))}
          </select>
        </label>
      </div>
      <label className="field">
        <span>Labels</span>
        <input
          value={labelText}
          placeholder="rack=b12 role=worker gpu"
          aria-describedby="labels-help"
          aria-invalid={invalid.length > 0}
          onChange={(e) => setLabelText(e.target.value)}
        />
        <small id="labels-help" className={invalid.length ? 'error-text' : 'muted'}>
          {invalid.length
            ? `Not a label: ${invalid.join(', ')}. Use key or key=value (letters, digits, . _ / -).`
            : 'Given to every host that registers with this token. Separate with spaces or commas.'}
        </small>
      </label>
      <label className="check">
        <input type="checkbox" checked={autoApprove} onChange={(e) => setAutoApprove(e.target.checked)} />
        <span>Auto-approve: hosts skip the approval queue (re-enrolments still wait)</span>
      </label>
      <div className="actions">
        <button type="submit" className="primary" disabled={busy || invalid.length > 0}>
          {busy ? 'Creating…' : 'Create token'}
        </button>
      </div>
    </form>
  );
}
