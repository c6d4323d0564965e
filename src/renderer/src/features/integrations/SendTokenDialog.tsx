import { useEffect, useState } from 'react';
import type { TokenSendResult } from '../../../../shared/domain';
import { Modal } from '../../components/Modal';
import { useApp } from '../../stores/context';
import { SelectField } from './SelectField';
import { PRESET_NAME } from './WebhooksPanel';

type Via = 'email' | 'webhook';

/**
 * Sends a token's join instructions to the technician at the rack: by email (the command
 * and its QR code) or to a chat webhook. Says whether the other end took it, and if not,
 * the mail server's or chat service's own reason.
 */
export function SendTokenDialog({ tokenId, onClose }: { tokenId: string; onClose(): void }) {
  const { webhooks, webhooksLoaded, mail, loadWebhooks, loadMail, send } = useApp((s) => ({
    webhooks: s.webhooks,
    webhooksLoaded: s.webhooksLoaded,
    mail: s.mail,
    loadWebhooks: s.loadWebhooks,
    loadMail: s.loadMail,
    send: s.sendToken,
  }));
  useEffect(() => {
    void loadWebhooks();
    void loadMail();
  }, [loadWebhooks, loadMail]);
  const [via, setVia] = useState<Via>('email');
  const [email, setEmail] = useState('');
  const [hookId, setHookId] = useState('');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<TokenSendResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const target = via === 'email' ? email.trim() : hookId || (webhooks[0]?.id ?? '');
  const emailValid = /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email.trim());
  const canSend = via === 'email' ? emailValid : target !== '';
  const hookName = (id: string) => {
    const hook = webhooks.find((w) => w.id === id);
    return hook ? `${hook.preset ? `${PRESET_NAME[hook.preset]}: ` : ''}${hook.url}` : id;
  };
  return (
    <Modal title="Send to technician" onClose={onClose}>
      <form
        className="stack"
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setResult(null);
          setError(null);
          const outcome = await send(tokenId, target);
          setBusy(false);
          if (outcome.ok) setResult(outcome.value);
          else setError(outcome.error);
        }}
      >
        <p className="muted">
          The message carries the token and the join command: send it only to the person enrolling the machines.
        </p>
        <fieldset className="stack">
          <legend>Send by</legend>
          <label className="check">
            <input type="radio" name="send-via" checked={via === 'email'} onChange={() => setVia('email')} />
            <span>Email (the command and its QR code)</span>
          </label>
          <label className="check">
            <input type="radio" name="send-via" checked={via === 'webhook'} onChange={() => setVia('webhook')} />
            <span>Chat webhook</span>
          </label>
        </fieldset>
        {via === 'email' ? (
          <div className="field">
            <label className="field">
              <span>Email address</span>
              <input
                type="email"
                value={email}
                placeholder="technician@example.net"
                onChange={(e) => setEmail(e.target.value)}
                aria-invalid={email !== '' && !emailValid}
                aria-describedby="send-email-help"
              />
            </label>
            <small id="send-email-help" className="muted">
              {mail && !mail.configured
                ? 'No mail server is set up yet: fill in Settings → Email (SMTP) first.'
                : 'Sent through the mail server in Settings → Email (SMTP).'}
            </small>
          </div>
        ) : !webhooksLoaded ? (
          <p className="muted">Loading webhooks…</p>
        ) : webhooks.length === 0 ? (
          <p className="muted">No webhooks yet: add one in Settings → Webhooks.</p>
        ) : (
          <SelectField label="Webhook" value={target} onChange={(e) => setHookId(e.target.value)}>
            {webhooks.map((w) => (
              <option key={w.id} value={w.id}>
                {hookName(w.id)}
              </option>
            ))}
          </SelectField>
        )}
        <div role="status">
          {result &&
            (result.delivered ? (
              <p className="strong">Delivered to {result.via === 'webhook' ? hookName(result.to) : result.to}.</p>
            ) : (
              <p className="error-text">
                Not delivered to {result.via === 'webhook' ? hookName(result.to) : result.to}:{' '}
                {result.error ?? 'the other end did not take it'}.
              </p>
            ))}
        </div>
        {error && (
          <p className="error-text" role="alert">
            {error}
          </p>
        )}
        <div className="actions">
          <button type="button" onClick={onClose}>
            {result?.delivered ? 'Done' : 'Cancel'}
          </button>
          <button type="submit" className="primary" disabled={busy || !canSend}>
            {busy ? 'Sending…' : result ? 'Send again' : 'Send'}
          </button>
        </div>
      </form>
    </Modal>
  );
}

/** "Send to technician…" and the dialog it opens: for a token's created (or re-shown) view. */
export function SendTokenButton({ tokenId }: { tokenId: string }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" onClick={() => setOpen(true)}>
        Send to technician…
      </button>
      {open && <SendTokenDialog tokenId={tokenId} onClose={() => setOpen(false)} />}
    </>
  );
}
