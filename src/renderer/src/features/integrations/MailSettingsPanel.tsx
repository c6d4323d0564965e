import { useEffect, useId, useState } from 'react';
import type { MailSettings } from '../../../../shared/domain';
import { useApp } from '../../stores/context';
import { SelectField } from './SelectField';

type Security = MailSettings['security'];

const DEFAULT_PORT: Record<Security, string> = { tls: '465', starttls: '587', none: '25' };

const SECURITY_TEXT: Record<Security, string> = {
  starttls: 'STARTTLS: plain connection upgraded to TLS, required (usually port 587)',
  tls: 'TLS from the start (usually port 465)',
  none: 'None: unencrypted (only for a relay on this machine or a trusted network)',
};

/**
 * The SMTP server join instructions are mailed through. The saved password is never
 * sent back: the field starts empty, and empty means keep it.
 */
export function MailSettingsPanel() {
  const { mail, load } = useApp((s) => ({ mail: s.mail, load: s.loadMail }));
  useEffect(() => void load(), [load]);
  return (
    <section className="panel stack" aria-labelledby="mail-title">
      <h2 id="mail-title">Email (SMTP)</h2>
      <p className="muted">
        Used to mail a token&apos;s join instructions (the command and its QR code) to a technician from Add Host.
      </p>
      {/* Keyed by the saved values: after a save the form starts again from them, password field empty. */}
      {mail ? <MailForm key={JSON.stringify(mail)} mail={mail} /> : <p className="muted">Loading mail settings…</p>}
    </section>
  );
}

function MailForm({ mail }: { mail: MailSettings }) {
  const save = useApp((s) => s.saveMail);
  const id = useId();
  const [host, setHost] = useState(mail.host ?? '');
  const [security, setSecurity] = useState<Security>(mail.configured ? mail.security : 'starttls');
  const [port, setPort] = useState(mail.port === null ? DEFAULT_PORT[security] : String(mail.port));
  const [user, setUser] = useState(mail.user ?? '');
  const [password, setPassword] = useState('');
  const [clearPassword, setClearPassword] = useState(false);
  const [from, setFrom] = useState(mail.from ?? '');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const hostValid = /^[A-Za-z0-9.:[\]-]+$/.test(host.trim());
  const portValid = /^\d+$/.test(port) && Number(port) >= 1 && Number(port) <= 65_535;
  const fromValid = /^[^\s@]+@[^\s@]+$/.test(from.trim());
  return (
    <form
      className="stack"
      aria-label="Email (SMTP) settings"
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        setError(null);
        const result = await save({
          host: host.trim(),
          port: Number(port),
          security,
          user: user.trim(),
          // Omitted keeps the saved password; empty clears it.
          ...(clearPassword ? { password: '' } : password !== '' ? { password } : {}),
          from: from.trim(),
        });
        setBusy(false);
        if (!result.ok) return setError(result.error);
        // The password went to the server; it never comes back, so the field is empty again.
        setPassword('');
        setClearPassword(false);
      }}
    >
      <div className="row">
        <label className="field">
          <span>Mail server</span>
          <input
            value={host}
            required
            placeholder="smtp.example.net"
            onChange={(e) => setHost(e.target.value)}
            aria-invalid={host !== '' && !hostValid}
          />
        </label>
        <div className="field">
          <label className="field">
            <span>Port</span>
            <input
              inputMode="numeric"
              value={port}
              required
              onChange={(e) => setPort(e.target.value)}
              aria-invalid={!portValid}
              aria-describedby={`${id}-port`}
            />
          </label>
          <small id={`${id}-port`} className={portValid ? 'muted' : 'error-text'}>
            Between 1 and 65535.
          </small>
        </div>
      </div>
      <SelectField
        label="Security"
        value={security}
        onChange={(e) => {
          const next = e.target.value as Security;
          // A port still at the old choice's usual number follows the new choice.
          if (port === DEFAULT_PORT[security]) setPort(DEFAULT_PORT[next]);
          setSecurity(next);
        }}
      >
        {(['starttls', 'tls', 'none'] as const).map((s) => (
          <option key={s} value={s}>
            {SECURITY_TEXT[s]}
          </option>
        ))}
      </SelectField>
      <div className="row">
        <label className="field">
          <span>User name (optional)</span>
          <input value={user} autoComplete="off" onChange={(e) => setUser(e.target.value)} />
        </label>
        <div className="field">
          <label className="field">
            <span>Password</span>
            <input
              type="password"
              value={password}
              autoComplete="new-password"
              disabled={clearPassword}
              placeholder={mail.password_set ? 'saved: leave empty to keep it' : ''}
              onChange={(e) => setPassword(e.target.value)}
              aria-describedby={`${id}-password`}
            />
          </label>
          <small id={`${id}-password`} className="muted" data-testid="mail-password-state">
            {mail.password_set
              ? 'A password is saved. It is never shown; type a new one to replace it.'
              : 'No password saved.'}
          </small>
        </div>
      </div>
      {mail.password_set && (
        <label className="check">
          <input type="checkbox" checked={clearPassword} onChange={(e) => setClearPassword(e.target.checked)} />
          <span>Remove the saved password (the server needs none)</span>
        </label>
      )}
      <label className="field">
        <span>From address</span>
        <input
          type="email"
          value={from}
          required
          placeholder="gatehouse@example.net"
          onChange={(e) => setFrom(e.target.value)}
          aria-invalid={from !== '' && !fromValid}
        />
      </label>
      {error && (
        <p className="error-text" role="alert">
          {error}
        </p>
      )}
      <div className="actions">
        <button type="submit" className="primary" disabled={busy || !hostValid || !portValid || !fromValid}>
          Save mail settings
        </button>
      </div>
    </form>
  );
}
