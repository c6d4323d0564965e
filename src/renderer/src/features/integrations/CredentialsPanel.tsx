import { useEffect, useState } from 'react';
import { SCOPES } from '../../../../shared/api/scopes';
import type { AdminCredential, CreatedCredential } from '../../../../shared/domain';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { Modal } from '../../components/Modal';
import { AbsoluteTime, Countdown, RelativeTime } from '../../components/time';
import { useApp, useNow } from '../../stores/context';
import { SCOPE_TEXT } from '../../stores/integrations-slice';
import { SecretOnce } from './SecretOnce';
import { SelectField } from './SelectField';

const DAY_MS = 86_400_000;
const EXPIRY_CHOICES: [string, number | null][] = [
  ['Never', null],
  ['In 7 days', 7],
  ['In 30 days', 30],
  ['In 90 days', 90],
  ['In a year', 365],
];

/** A credential's standing as of `now`: revoked wins, then expired. */
export function credentialState(c: AdminCredential, now: number): 'active' | 'expired' | 'revoked' {
  if (c.revoked_at) return 'revoked';
  if (c.expires_at && Date.parse(c.expires_at) <= now) return 'expired';
  return 'active';
}

/**
 * Named credentials for scripts and people other than the admin: each has a scope, is
 * shown once, can expire, and is revoked here. The audit names each call by its credential.
 */
export function CredentialsPanel() {
  const { credentials, loaded, load } = useApp((s) => ({
    credentials: s.credentials,
    loaded: s.credentialsLoaded,
    load: s.loadCredentials,
  }));
  const [creating, setCreating] = useState(false);
  const [revoking, setRevoking] = useState<AdminCredential | null>(null);
  const revoke = useApp((s) => s.revokeCredential);
  const now = useNow();
  useEffect(() => void load(), [load]);
  return (
    <section className="panel stack" aria-labelledby="credentials-title">
      <div className="panel-header">
        <h2 id="credentials-title">Admin credentials</h2>
        <button type="button" onClick={() => setCreating(true)}>
          New credential…
        </button>
      </div>
      <p className="muted">
        For scripts, the command line and colleagues: sent as <span className="mono">Authorization: Bearer …</span>.
        Each has a scope, and the audit names every change by the credential that made it.
      </p>
      {!loaded ? (
        <p className="muted">Loading credentials…</p>
      ) : credentials.length === 0 ? (
        <p className="muted">No credentials yet: only this admin session can change anything.</p>
      ) : (
        <div className="table-wrap">
          <table className="audit">
            <caption className="visually-hidden">Admin credentials</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Scope</th>
                <th scope="col">Starts with</th>
                <th scope="col">Last used</th>
                <th scope="col">Expires</th>
                <th scope="col">State</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {credentials.map((c) => {
                const state = credentialState(c, now);
                return (
                  <tr key={c.id} data-credential-id={c.id}>
                    <th scope="row">{c.name}</th>
                    <td>{c.scope}</td>
                    <td className="mono">{c.prefix}…</td>
                    <td>
                      <RelativeTime at={c.last_used_at} />
                    </td>
                    <td>
                      {c.expires_at === null ? (
                        <span className="muted">never</span>
                      ) : state === 'active' ? (
                        <Countdown to={c.expires_at} />
                      ) : (
                        <AbsoluteTime at={c.expires_at} />
                      )}
                    </td>
                    <td>
                      {state === 'revoked' ? (
                        <span className="chip chip-revoked">
                          revoked <RelativeTime at={c.revoked_at} />
                        </span>
                      ) : (
                        <span className={`chip chip-${state}`}>{state}</span>
                      )}
                    </td>
                    <td>
                      {state !== 'revoked' && (
                        <button type="button" className="danger-link" onClick={() => setRevoking(c)}>
                          Revoke<span className="visually-hidden"> {c.name}</span>
                        </button>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {creating && <NewCredentialDialog onClose={() => setCreating(false)} />}
      {revoking && (
        <ConfirmDialog
          title={`Revoke ${revoking.name}?`}
          confirmLabel="Revoke credential"
          danger
          onCancel={() => setRevoking(null)}
          onConfirm={async () => {
            await revoke(revoking.id);
            setRevoking(null);
          }}
        >
          Every script or person using it is refused from the next call on. This cannot be undone; make a new credential
          if it is needed again.
        </ConfirmDialog>
      )}
    </section>
  );
}

/** The create form, then the secret once, in one dialog. */
function NewCredentialDialog({ onClose }: { onClose(): void }) {
  const create = useApp((s) => s.createCredential);
  const [name, setName] = useState('');
  const [scope, setScope] = useState<AdminCredential['scope']>('read-only');
  const [expiryDays, setExpiryDays] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<CreatedCredential | null>(null);
  const nameValid = /^[A-Za-z0-9][A-Za-z0-9 ._@-]*$/.test(name.trim()) && name.trim().length <= 64;
  return (
    <Modal title={created ? `Credential ${created.name} created` : 'New admin credential'} onClose={onClose}>
      {created ? (
        <div className="stack">
          <SecretOnce label={`Secret of ${created.name}`} value={created.credential} copyLabel="Copy credential">
            <p className="muted">
              Scope {created.scope}: {SCOPE_TEXT[created.scope]}{' '}
              {created.expires_at ? (
                <>
                  Expires <AbsoluteTime at={created.expires_at} />.
                </>
              ) : (
                'It does not expire; revoke it when it is no longer needed.'
              )}
            </p>
          </SecretOnce>
          <div className="actions">
            <button type="button" className="primary" onClick={onClose} data-autofocus-after>
              Done
            </button>
          </div>
        </div>
      ) : (
        <form
          className="stack"
          onSubmit={async (e) => {
            e.preventDefault();
            setBusy(true);
            const days = expiryDays === '' ? null : Number(expiryDays);
            const result = await create({
              name: name.trim(),
              scope,
              ...(days ? { expires_at: new Date(Date.now() + days * DAY_MS).toISOString() } : {}),
            });
            setBusy(false);
            if (result.ok) setCreated(result.value);
            else setError(result.error);
          }}
        >
          <div className="field">
            <label className="field">
              <span>Name</span>
              <input
                value={name}
                maxLength={64}
                autoFocus
                required
                onChange={(e) => setName(e.target.value)}
                aria-invalid={name !== '' && !nameValid}
                aria-describedby="credential-name-help"
              />
            </label>
            <small id="credential-name-help" className={name === '' || nameValid ? 'muted' : 'error-text'}>
              Who or what uses it, e.g. “ci-provisioning” or “night shift”: letters, digits, spaces and . _ @ -
            </small>
          </div>
          <fieldset className="stack">
            <legend>Scope</legend>
            {SCOPES.map((s) => (
              <label className="check" key={s}>
                <input
                  type="radio"
                  name="credential-scope"
                  value={s}
                  checked={scope === s}
                  onChange={() => setScope(s)}
                />
                <span>
                  <span className="strong">{s}</span>: {SCOPE_TEXT[s]}
                </span>
              </label>
            ))}
          </fieldset>
          <SelectField label="Expires" value={expiryDays} onChange={(e) => setExpiryDays(e.target.value)}>
            {EXPIRY_CHOICES.map(([label, days]) => (
              <option key={label} value={days ?? ''}>
                {label}
              </option>
            ))}
          </SelectField>
          {error && (
            <p className="error-text" role="alert">
              {error}
            </p>
          )}
          <div className="actions">
            <button type="button" onClick={onClose}>
              Cancel
            </button>
            <button type="submit" className="primary" disabled={busy || !nameValid}>
              Create credential
            </button>
          </div>
        </form>
      )}
    </Modal>
  );
}
