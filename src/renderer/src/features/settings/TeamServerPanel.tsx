import { useEffect, useState, type FormEvent } from 'react';
import type { GatehouseBridge, TeamServerStatus } from '../../../../shared/api/bridge';
import type { IpcResult } from '../../../../shared/api/operations';
import { unwrapIpc as unwrap } from '../../api/ipc-client';

type Desktop = GatehouseBridge['desktop'];

/**
 * "Connect to a team server" (desktop only): URL, pin and a named credential. The main
 * process proves all three with system.info before it saves anything; a refusal names
 * the field to fix. Headless (no desktop bridge) it renders nothing.
 */
export function TeamServerPanel({ desktop = window.gatehouse?.desktop }: { desktop?: Desktop }) {
  const [status, setStatus] = useState<TeamServerStatus | null>(null);
  const [url, setUrl] = useState('');
  const [pin, setPin] = useState('');
  const [credential, setCredential] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!desktop) return;
    unwrap(desktop.teamServer.status()).then(setStatus, (e: Error) => setError(e.message));
  }, [desktop]);
  if (!desktop || !status) return null;

  const run = async (step: () => Promise<IpcResult<TeamServerStatus>>) => {
    setBusy(true);
    setError(null);
    try {
      setStatus(await unwrap(step()));
      setCredential('');
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const connect = (event: FormEvent) => {
    event.preventDefault();
    void run(() => desktop.teamServer.connect({ url: url.trim(), pin: pin.trim(), credential: credential.trim() }));
  };

  return (
    <section className="panel stack" aria-labelledby="team-server-title">
      <h2 id="team-server-title">Team server</h2>
      {status.team_server ? (
        <>
          <p>
            Attached to <span className="mono">{status.team_server.url}</span> (pin{' '}
            <span className="mono">sha256//{status.team_server.pin}</span>). Every change made here happens on that
            server; this computer runs no LAN endpoint of its own.
          </p>
          <div className="actions-left">
            <button type="button" disabled={busy} onClick={() => void run(() => desktop.teamServer.disconnect())}>
              Disconnect
            </button>
          </div>
        </>
      ) : (
        <form className="stack" onSubmit={connect} aria-label="Connect to a team server">
          <p className="muted">
            Use a shared Gatehouse instead of this computer&apos;s own. The server prints its pin at start (TLS pin:
            sha256//…); ask its operator for a named credential.
          </p>
          <label className="field">
            <span>Admin URL</span>
            <input value={url} placeholder="https://gatehouse.lab:7444" onChange={(e) => setUrl(e.target.value)} />
          </label>
          <label className="field">
            <span>TLS pin</span>
            <input value={pin} placeholder="sha256//…" onChange={(e) => setPin(e.target.value)} />
          </label>
          <label className="field">
            <span>Credential</span>
            <input
              type="password"
              autoComplete="off"
              value={credential}
              placeholder="gha_…"
              onChange={(e) => setCredential(e.target.value)}
            />
          </label>
          <div className="actions">
            <button type="submit" className="primary" disabled={busy || !url || !pin || !credential}>
              {busy ? 'Connecting…' : 'Connect'}
            </button>
          </div>
        </form>
      )}
      {error && (
        <p className="error-text" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
