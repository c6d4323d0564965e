import { useState } from 'react';
import type { TokenSecret } from '../../../../shared/domain';
import { CopyButton } from '../../components/CopyButton';
import { QrCode } from '../../components/QrCode';
import { Countdown } from '../../components/time';
import { SendTokenButton } from '../integrations/SendTokenDialog';
import { useSecretOnScreen } from '../../components/use-secret-on-screen';

/**
 * The token, once: grouped large text, copy, a QR code, countdown, join command and
 * setup steps. The QR carries the join command itself by default: nothing fetched over
 * the unauthenticated LAN can change what the technician runs. The phone-page link is
 * offered with its risk stated.
 */
export function TokenSecretView({
  secret,
  expiresAt,
  tokenId,
}: {
  secret: TokenSecret;
  expiresAt: string;
  /** Offers "Send to technician…" (email or chat webhook) for this token. */
  tokenId?: string;
}) {
  const [content, setContent] = useState<'command' | 'link'>('command');
  useSecretOnScreen();
  const groups = secret.token.split('-');
  return (
    <section className="secret" aria-labelledby="secret-title">
      <h3 id="secret-title" className="visually-hidden">
        New registration token
      </h3>
      <div className="secret-main">
        <div>
          <p className="token-text" data-testid="token-text" data-token={secret.token}>
            <span className="visually-hidden">Token {secret.token}</span>
            {groups.map((g, i) => (
              <span key={i} aria-hidden="true">
                {g}
              </span>
            ))}
          </p>
          <p className="muted">
            Expires <Countdown to={expiresAt} /> · shown again only while it can be used
          </p>
          <div className="actions-left">
            <CopyButton text={secret.token} label="Copy token" secret />
            {tokenId && <SendTokenButton tokenId={tokenId} />}
          </div>
          <fieldset className="qr-choice">
            <legend>The QR code carries</legend>
            <label className="check">
              <input
                type="radio"
                name="qr-content"
                checked={content === 'command'}
                onChange={() => setContent('command')}
              />
              <span>The join command (recommended)</span>
            </label>
            <label className="check">
              <input type="radio" name="qr-content" checked={content === 'link'} onChange={() => setContent('link')} />
              <span>A link to the phone join page</span>
            </label>
            {content === 'link' && (
              <p className="warning-text" role="note">
                The phone page is fetched over the LAN without a certificate the phone can check: someone on that
                network can serve a look-alike page with a different command. Compare the command on the host before
                running it.
              </p>
            )}
          </fieldset>
        </div>
        <figure className="qr-figure">
          <QrCode
            value={content === 'command' ? secret.join_command : secret.join_url}
            label={
              content === 'command'
                ? 'QR code of the join command: scan it at the rack and paste the text into a root shell'
                : 'QR code of the phone join page link'
            }
          />
          <figcaption className="muted">
            {content === 'command' ? 'Scan at the rack: the text is the command' : 'Scan to open the join page'}
          </figcaption>
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
