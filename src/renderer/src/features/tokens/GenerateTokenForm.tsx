import { useState } from 'react';
import { cidr, label } from '../../../../shared/api/schemas';
import { EXPIRY_CHOICES_HOURS, MAX_USES_CHOICES, type CreatedToken } from '../../../../shared/domain';
import { useApp } from '../../stores/context';
import { TokenSecretView } from './TokenSecretView';

const EXPIRY_LABEL: Record<number, string> = { 1: '1 hour', 4: '4 hours', 24: '24 hours', 72: '3 days', 168: '7 days' };

/** Labels typed as "rack=b12 gpu, role=worker", checked by the same schema the server applies. */
export function parseLabels(text: string): { labels: string[]; invalid: string[] } {
  const labels = [...new Set(text.split(/[\s,]+/).filter(Boolean))];
  return { labels, invalid: labels.filter((l) => !label.safeParse(l).success) };
}

/** Networks typed as "10.20.0.0/16, 192.168.4.0/24". */
export function parseNetworks(text: string): { networks: string[]; invalid: string[] } {
  const networks = [...new Set(text.split(/[\s,]+/).filter(Boolean))];
  return { networks, invalid: networks.filter((n) => !cidr.safeParse(n).success) };
}

/**
 * Make a token. Every new form starts from the safe defaults (manual approval, one use,
 * any network, no labels): "Create another" starts a fresh form rather than reusing the
 * last one's choices, so an auto-approve token is never made twice by accident.
 */
export function GenerateTokenForm() {
  const [created, setCreated] = useState<{ token: CreatedToken; ephemeralMinutes?: number } | null>(null);
  const [round, setRound] = useState(0);
  if (created) {
    return (
      <div className="stack">
        <TokenSummary token={created.token} ephemeralMinutes={created.ephemeralMinutes} />
        <TokenSecretView secret={created.token} expiresAt={created.token.expires_at} tokenId={created.token.id} />
        <div className="actions">
          <button
            type="button"
            onClick={() => {
              setCreated(null);
              setRound(round + 1);
            }}
          >
            Create another
          </button>
        </div>
      </div>
    );
  }
  return <TokenFields key={round} onCreated={(token, ephemeralMinutes) => setCreated({ token, ephemeralMinutes })} />;
}

/** What the new token does, restated in words before anyone hands it out. */
function TokenSummary({ token, ephemeralMinutes }: { token: CreatedToken; ephemeralMinutes?: number }) {
  return (
    <section className="summary" aria-labelledby="token-summary-title">
      <h3 id="token-summary-title" tabIndex={-1} data-autofocus-after>
        Token {token.prefix}… created
      </h3>
      <ul>
        <li className={token.auto_approve ? 'warning-text strong' : undefined}>
          {token.auto_approve
            ? 'Auto-approve: hosts that register with it are approved without a check.'
            : 'Manual approval: each host waits in the approval queue for you.'}
        </li>
        <li>{token.max_uses === 0 ? 'Unlimited uses' : `${token.max_uses} use${token.max_uses === 1 ? '' : 's'}`}</li>
        <li>{token.allowed_cidrs.length ? `Only from ${token.allowed_cidrs.join(', ')}` : 'From any network'}</li>
        <li>{token.labels.length ? `Labels: ${token.labels.join(', ')}` : 'No labels'}</li>
        {ephemeralMinutes !== undefined && (
          <li>{`Ephemeral: its hosts are deleted after ${ephemeralMinutes} minutes offline`}</li>
        )}
      </ul>
    </section>
  );
}

function TokenFields({ onCreated }: { onCreated(token: CreatedToken, ephemeralMinutes?: number): void }) {
  const createToken = useApp((s) => s.createToken);
  const [description, setDescription] = useState('');
  const [expiresInHours, setExpiresInHours] = useState(4);
  const [maxUses, setMaxUses] = useState(1);
  const [labelText, setLabelText] = useState('');
  const [networkText, setNetworkText] = useState('');
  const [autoApprove, setAutoApprove] = useState(false);
  const [ephemeral, setEphemeral] = useState(false);
  const [ephemeralMinutes, setEphemeralMinutes] = useState('60');
  const [busy, setBusy] = useState(false);
  const minutesValid =
    /^\d+$/.test(ephemeralMinutes) && Number(ephemeralMinutes) >= 1 && Number(ephemeralMinutes) <= 525_600;
  const { labels, invalid } = parseLabels(labelText);
  const { networks, invalid: badNetworks } = parseNetworks(networkText);
  const blocked = invalid.length > 0 || badNetworks.length > 0 || (ephemeral && !minutesValid);

  return (
    <form
      className="stack"
      onSubmit={async (e) => {
        e.preventDefault();
        if (blocked) return;
        setBusy(true);
        const token = await createToken({
          description: description.trim() || undefined,
          expires_in_hours: expiresInHours,
          max_uses: maxUses,
          labels,
          auto_approve: autoApprove,
          allowed_cidrs: networks,
          ...(ephemeral ? { ephemeral_offline_minutes: Number(ephemeralMinutes) } : {}),
        });
        setBusy(false);
        if (token) onCreated(token, ephemeral ? Number(ephemeralMinutes) : undefined);
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
      <label className="field">
        <span>Allowed networks</span>
        <input
          value={networkText}
          placeholder="10.20.12.0/24"
          aria-describedby="networks-help"
          aria-invalid={badNetworks.length > 0}
          onChange={(e) => setNetworkText(e.target.value)}
        />
        <small id="networks-help" className={badNetworks.length ? 'error-text' : 'muted'}>
          {badNetworks.length
            ? `Not a network: ${badNetworks.join(', ')}. Write an address and prefix length, like 10.20.12.0/24.`
            : 'Leave empty to accept registrations from any address.'}
        </small>
      </label>
      <label className="check">
        <input type="checkbox" checked={autoApprove} onChange={(e) => setAutoApprove(e.target.checked)} />
        <span>Auto-approve: hosts skip the approval queue (re-enrolments still wait)</span>
      </label>
      <label className="check">
        <input type="checkbox" checked={ephemeral} onChange={(e) => setEphemeral(e.target.checked)} />
        <span>Ephemeral: delete its hosts after they have been offline for a while (CI runners, test VMs)</span>
      </label>
      {ephemeral && (
        <label className="field">
          <span>Delete after this many minutes offline</span>
          <input
            inputMode="numeric"
            value={ephemeralMinutes}
            aria-invalid={!minutesValid}
            aria-describedby="ephemeral-help"
            onChange={(e) => setEphemeralMinutes(e.target.value)}
          />
          <small id="ephemeral-help" className={minutesValid ? 'muted' : 'error-text'}>
            Between 1 and 525600 (a year). Deleted hosts must enrol again with a new token.
          </small>
        </label>
      )}
      <div className="actions">
        <button type="submit" className="primary" disabled={busy || blocked}>
          {busy ? 'Creating…' : 'Create token'}
        </button>
      </div>
    </form>
  );
}
