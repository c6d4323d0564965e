import { useEffect, useState } from 'react';
import {
  WEBHOOK_EVENTS,
  WEBHOOK_PRESETS,
  type CreatedWebhook,
  type Webhook,
  type WebhookDelivery,
  type WebhookPreset,
} from '../../../../shared/domain';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { Modal } from '../../components/Modal';
import { AbsoluteTime, RelativeTime } from '../../components/time';
import { useApp } from '../../stores/context';
import { WEBHOOK_EVENT_TEXT } from '../../stores/integrations-slice';
import { SecretOnce } from './SecretOnce';
import { SelectField } from './SelectField';

export const PRESET_NAME: Record<WebhookPreset, string> = {
  slack: 'Slack',
  teams: 'Microsoft Teams',
  discord: 'Discord',
  mattermost: 'Mattermost',
};

/** A delivery's outcome in one sentence: what the other end answered, how fast, or why not. */
export function describeDelivery(d: WebhookDelivery): string {
  const answer = d.last_status === null ? 'no answer' : `HTTP ${d.last_status}`;
  const speed = d.response_ms === null ? '' : ` in ${d.response_ms} ms`;
  if (d.state === 'delivered') return `Delivered: ${answer}${speed}.`;
  const why = d.last_error ? ` (${d.last_error})` : '';
  const tries = `${d.attempts} attempt${d.attempts === 1 ? '' : 's'}`;
  if (d.state === 'failed') return `Not delivered after ${tries}: ${answer}${why}.`;
  return d.attempts === 0 ? 'Queued, not sent yet.' : `Not delivered yet after ${tries}: ${answer}${why}; retrying.`;
}

function eventsText(events: Webhook['events']): string {
  return events.includes('*') ? 'all events' : events.join(', ');
}

/**
 * Signed webhooks: Gatehouse POSTs each subscribed event to the URL, with retries, and
 * keeps a delivery log. "Send test" sends one event now and says what the other end did.
 */
export function WebhooksPanel() {
  const { webhooks, loaded, load, remove, test } = useApp((s) => ({
    webhooks: s.webhooks,
    loaded: s.webhooksLoaded,
    load: s.loadWebhooks,
    remove: s.deleteWebhook,
    test: s.testWebhook,
  }));
  const [adding, setAdding] = useState(false);
  const [deleting, setDeleting] = useState<Webhook | null>(null);
  const [logOf, setLogOf] = useState<Webhook | null>(null);
  const [tests, setTests] = useState<Record<string, { busy: boolean; text: string; ok: boolean }>>({});
  useEffect(() => void load(), [load]);

  async function sendTest(hook: Webhook) {
    setTests((t) => ({ ...t, [hook.id]: { busy: true, ok: true, text: 'Sending a test event…' } }));
    const result = await test(hook.id);
    setTests((t) => ({
      ...t,
      [hook.id]: result.ok
        ? { busy: false, ok: result.value.state === 'delivered', text: describeDelivery(result.value) }
        : { busy: false, ok: false, text: result.error },
    }));
  }

  return (
    <section className="panel stack" aria-labelledby="webhooks-title">
      <div className="panel-header">
        <h2 id="webhooks-title">Webhooks</h2>
        <button type="button" onClick={() => setAdding(true)}>
          Add webhook…
        </button>
      </div>
      <p className="muted">
        Gatehouse posts the events you pick to each URL, signed with its secret, and retries for a while when the other
        end fails. A chat preset turns each event into a message for that service.
      </p>
      {!loaded ? (
        <p className="muted">Loading webhooks…</p>
      ) : webhooks.length === 0 ? (
        <p className="muted">No webhooks: nothing is sent anywhere.</p>
      ) : (
        <div className="table-wrap">
          <table className="audit">
            <caption className="visually-hidden">Webhooks</caption>
            <thead>
              <tr>
                <th scope="col">URL</th>
                <th scope="col">Events</th>
                <th scope="col">Format</th>
                <th scope="col">Last test</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {webhooks.map((hook) => {
                const t = tests[hook.id];
                return (
                  <tr key={hook.id} data-webhook-id={hook.id}>
                    <th scope="row" className="mono detail">
                      {hook.url}
                    </th>
                    <td>{eventsText(hook.events)}</td>
                    <td>{hook.preset ? PRESET_NAME[hook.preset] : 'signed JSON'}</td>
                    <td>
                      <span role="status" className={t && !t.busy && !t.ok ? 'error-text' : undefined}>
                        {t?.text ?? ''}
                      </span>
                    </td>
                    <td>
                      <div className="actions-left nowrap">
                        <button type="button" disabled={t?.busy} onClick={() => void sendTest(hook)}>
                          Send test<span className="visually-hidden"> to {hook.url}</span>
                        </button>
                        <button type="button" onClick={() => setLogOf(hook)}>
                          Delivery log<span className="visually-hidden"> of {hook.url}</span>
                        </button>
                        <button type="button" className="danger-link" onClick={() => setDeleting(hook)}>
                          Delete<span className="visually-hidden"> {hook.url}</span>
                        </button>
                      </div>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {adding && <NewWebhookDialog onClose={() => setAdding(false)} />}
      {logOf && <DeliveryLogDialog hook={logOf} onClose={() => setLogOf(null)} />}
      {deleting && (
        <ConfirmDialog
          title="Delete this webhook?"
          confirmLabel="Delete webhook"
          danger
          onCancel={() => setDeleting(null)}
          onConfirm={async () => {
            await remove(deleting.id);
            setDeleting(null);
          }}
        >
          Nothing more is sent to <span className="mono">{deleting.url}</span>, including deliveries still waiting to be
          retried, and its delivery log goes with it.
        </ConfirmDialog>
      )}
    </section>
  );
}

/** URL, events and preset; then the signing secret, once, with how to check a signature. */
function NewWebhookDialog({ onClose }: { onClose(): void }) {
  const create = useApp((s) => s.createWebhook);
  const [url, setUrl] = useState('');
  const [all, setAll] = useState(true);
  const [events, setEvents] = useState<Set<string>>(new Set());
  const [preset, setPreset] = useState<WebhookPreset | ''>('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<CreatedWebhook | null>(null);
  const urlValid = URL.canParse(url) && /^https?:$/.test(new URL(url).protocol);
  const chosen = all ? ['*' as const] : WEBHOOK_EVENTS.filter((e) => events.has(e));
  const toggle = (event: string, on: boolean) =>
    setEvents((prev) => {
      const next = new Set(prev);
      if (on) next.add(event);
      else next.delete(event);
      return next;
    });
  return (
    <Modal title={created ? 'Webhook added' : 'Add webhook'} onClose={onClose} wide>
      {created ? (
        <div className="stack">
          <p>
            Events go to <span className="mono">{created.url}</span>
            {created.preset ? ` as ${PRESET_NAME[created.preset]} messages` : ''}.
          </p>
          <SecretOnce label="Signing secret" value={created.secret} copyLabel="Copy secret">
            <div className="stack">
              <p>Every delivery is a POST carrying this header:</p>
              <pre className="command">
                Gatehouse-Signature: t=&lt;unix seconds&gt;,v1=&lt;hex HMAC-SHA256(secret, &quot;t.body&quot;)&gt;
              </pre>
              <p className="muted">
                To check it, compute the HMAC-SHA256 of the timestamp, a dot and the raw request body with this secret,
                compare it with v1 in constant time, and refuse timestamps more than a few minutes old and event ids
                already seen, so a captured request cannot be replayed.
              </p>
            </div>
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
          // Checked here (Add stays disabled until the URL is http(s)), and the server's sentence otherwise.
          noValidate
          onSubmit={async (e) => {
            e.preventDefault();
            setBusy(true);
            const result = await create({ url: url.trim(), events: chosen, ...(preset ? { preset } : {}) });
            setBusy(false);
            if (result.ok) setCreated(result.value);
            else setError(result.error);
          }}
        >
          <div className="field">
            <label className="field">
              <span>URL</span>
              <input
                type="url"
                value={url}
                autoFocus
                required
                placeholder="https://hooks.example.net/gatehouse"
                onChange={(e) => setUrl(e.target.value)}
                aria-invalid={url !== '' && !urlValid}
                aria-describedby="webhook-url-help"
              />
            </label>
            <small id="webhook-url-help" className={url === '' || urlValid ? 'muted' : 'error-text'}>
              An http:// or https:// address. Redirects are not followed.
            </small>
          </div>
          <fieldset className="stack">
            <legend>Events</legend>
            <label className="check">
              <input type="checkbox" checked={all} onChange={(e) => setAll(e.target.checked)} />
              <span>All: {WEBHOOK_EVENT_TEXT['*']}</span>
            </label>
            {WEBHOOK_EVENTS.map((event) => (
              <label className="check" key={event}>
                <input
                  type="checkbox"
                  disabled={all}
                  checked={all || events.has(event)}
                  onChange={(e) => toggle(event, e.target.checked)}
                />
                <span>
                  <span className="mono">{event}</span>: {WEBHOOK_EVENT_TEXT[event]}
                </span>
              </label>
            ))}
            {chosen.length === 0 && <small className="error-text">Pick at least one event.</small>}
          </fieldset>
          <SelectField
            label="Format"
            value={preset}
            onChange={(e) => setPreset(e.target.value as WebhookPreset | '')}
            help={
              <>
                A chat preset formats each event as a message for that service&apos;s incoming webhook, so it reads well
                in a channel; paste the incoming-webhook URL the chat service gave you. Without one, the body is the
                event as JSON: {'{id, event, at, data}'}.
              </>
            }
          >
            <option value="">Signed JSON event (your own receiver)</option>
            {WEBHOOK_PRESETS.map((p) => (
              <option key={p} value={p}>
                {PRESET_NAME[p]} message
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
            <button type="submit" className="primary" disabled={busy || !urlValid || chosen.length === 0}>
              Add webhook
            </button>
          </div>
        </form>
      )}
    </Modal>
  );
}

/** The newest deliveries to one webhook: where each stands, what came back, when the next try is. */
function DeliveryLogDialog({ hook, onClose }: { hook: Webhook; onClose(): void }) {
  const { deliveries, load } = useApp((s) => ({ deliveries: s.deliveries[hook.id], load: s.loadDeliveries }));
  useEffect(() => void load(hook.id), [load, hook.id]);
  return (
    <Modal title="Delivery log" onClose={onClose} wide>
      <div className="stack">
        <div className="actions-left">
          <p className="mono detail">{hook.url}</p>
          <button type="button" onClick={() => void load(hook.id)}>
            Refresh
          </button>
        </div>
        {!deliveries ? (
          <p className="muted">Loading deliveries…</p>
        ) : deliveries.length === 0 ? (
          <p className="muted">Nothing sent yet. Use Send test to try it.</p>
        ) : (
          <div className="table-wrap">
            <table className="audit">
              <caption className="visually-hidden">Deliveries to {hook.url}, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Queued</th>
                  <th scope="col">Event</th>
                  <th scope="col">Status</th>
                  <th scope="col">Attempts</th>
                  <th scope="col">Answer</th>
                  <th scope="col">Response time</th>
                  <th scope="col">Error</th>
                  <th scope="col">Next attempt</th>
                </tr>
              </thead>
              <tbody>
                {deliveries.map((d) => (
                  <tr key={d.id} data-delivery-state={d.state}>
                    <td className="nowrap">
                      <RelativeTime at={d.created_at} />
                    </td>
                    <td className="mono">{d.event}</td>
                    <td>
                      <span
                        className={`chip ${d.state === 'delivered' ? 'chip-approved' : d.state === 'failed' ? 'chip-rejected' : 'chip-pending'}`}
                      >
                        {d.state}
                      </span>
                    </td>
                    <td className="tabular">{d.attempts}</td>
                    <td className="tabular">{d.last_status === null ? 'no answer' : `HTTP ${d.last_status}`}</td>
                    <td className="tabular">{d.response_ms === null ? '—' : `${d.response_ms} ms`}</td>
                    <td className="detail">{d.last_error ?? ''}</td>
                    <td className="nowrap">
                      {d.next_attempt_at && d.state === 'pending' ? <AbsoluteTime at={d.next_attempt_at} /> : '—'}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <div className="actions">
          <button type="button" onClick={onClose}>
            Close
          </button>
        </div>
      </div>
    </Modal>
  );
}
