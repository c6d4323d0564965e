import { useEffect } from 'react';
import type { TokenSecret } from '../../../../shared/domain';
import { CopyButton } from '../../components/CopyButton';
import { QrCode } from '../../components/QrCode';
import { Countdown } from '../../components/time';

/** The token, once: grouped large text, copy, QR of join_url, countdown, join command and setup steps. */
export function TokenSecretView({ secret, expiresAt }: { secret: TokenSecret; expiresAt: string }) {
  useEffect(() => {
    // Desktop: keep the token out of screen captures while it is on screen.
    window.gatehouse?.desktop.setSecretOnScreen(true);
    return () => window.gatehouse?.desktop.setSecretOnScreen(false);
  }, []);
  const groups = secret.token.split('-');
  return (
    <section className="secret" aria-label="New registration token">
      <div className="secret-main">
        <div>
          <p className="token-text" aria-label={`Token ${secret.token}`} data-testid="token-text">
            {groups.map((g, i) => (
              <span key={i}>{g}</span>
            ))}
          </p>
          <p className="muted">
            Expires <Countdown to={expiresAt} /> · shown again only while it can be used
          </p>
          <div className="actions-left">
            <CopyButton text={secret.token} label="Copy token" secret />
          </div>
        </div>
        <figure className="qr-figure">
          <QrCode value={secret.join_url} label="QR code of the join link: scan it with a phone at the rack" />
          <figcaption className="muted">Scan at the rack to open the join page</figcaption>
        </figure>
      </div>
      <h3>On the host</h3>
      <ol className="steps">
        <li>Open a root shell on the machine (console, SSH or BMC).</li>
        <li>
          Paste this command; it pins this Gatehouse&apos;s certificate:
          <pre className="command" data-testid="join-command">
            {secret.join_command}
          </pre>
          <CopyButton text={secret.join_command} label="Copy command" secret />
        </li>
        <li>The host prints a six-digit verification code. Check it matches the one in the approval queue.</li>
        <li>Approve the request; the host installs a heartbeat and shows as Online.</li>
      </ol>
    </section>
  );
}
