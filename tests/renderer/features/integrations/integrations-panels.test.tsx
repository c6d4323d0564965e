// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { AdminCallError } from '../../../../src/shared/api/client';
import type { AdminApi } from '../../../../src/shared/api/operations';
import type { AdminCredential, MailSettings, Webhook, WebhookDelivery } from '../../../../src/shared/domain';
import { createAppStore } from '../../../../src/renderer/src/stores/app-store';
import { createClockStore } from '../../../../src/renderer/src/stores/clock-store';
import { StoresProvider } from '../../../../src/renderer/src/stores/context';
import { CredentialsPanel } from '../../../../src/renderer/src/features/integrations/CredentialsPanel';
import { MailSettingsPanel } from '../../../../src/renderer/src/features/integrations/MailSettingsPanel';
import { SendTokenDialog } from '../../../../src/renderer/src/features/integrations/SendTokenDialog';
import { WebhooksPanel } from '../../../../src/renderer/src/features/integrations/WebhooksPanel';
import { fakeClient } from '../../fake-client';

afterEach(cleanup);

const uuid = (n: number) => `00000000-0000-4000-a000-${String(n).padStart(12, '0')}`;

const credential = (n: number, over: Partial<AdminCredential> = {}): AdminCredential => ({
  id: uuid(n),
  name: `cred-${n}`,
  scope: 'read-only',
  prefix: `gha_${n}abcde`,
  created_at: '2026-01-01T00:00:00Z',
  created_by: 'admin',
  expires_at: null,
  revoked_at: null,
  last_used_at: null,
  ...over,
});

const webhook = (n: number, over: Partial<Webhook> = {}): Webhook => ({
  id: uuid(100 + n),
  url: `https://hooks.example.net/${n}`,
  events: ['*'],
  preset: null,
  enabled: true,
  created_at: '2026-01-01T00:00:00Z',
  created_by: 'admin',
  ...over,
});

const delivery = (over: Partial<WebhookDelivery> = {}): WebhookDelivery => ({
  id: uuid(900),
  webhook_id: uuid(101),
  event: 'test',
  state: 'delivered',
  attempts: 1,
  last_status: 200,
  last_error: null,
  response_ms: 12,
  created_at: new Date().toISOString(),
  next_attempt_at: null,
  delivered_at: new Date().toISOString(),
  ...over,
});

/** Renders `ui` around a real app store on a fake client; returns the fake to inspect its calls. */
function renderWith(ui: React.ReactElement, overrides: Partial<AdminApi>) {
  const fake = fakeClient(overrides);
  const app = createAppStore(fake.client);
  render(<StoresProvider stores={{ app, client: fake.client, clock: createClockStore() }}>{ui}</StoresProvider>);
  return { ...fake, app };
}

describe('<CredentialsPanel>', () => {
  it('lists each credential with its scope, prefix and state, and no Revoke for a revoked one', async () => {
    renderWith(<CredentialsPanel />, {
      'credentials.list': async () => ({
        credentials: [
          credential(1, { name: 'ci', scope: 'enrol' }),
          credential(2, { name: 'old', revoked_at: '2026-01-02T00:00:00Z' }),
          credential(3, { name: 'lapsed', expires_at: '2026-01-02T00:00:00Z' }),
        ],
      }),
    });
    const table = await screen.findByRole('table', { name: 'Admin credentials' });
    const row = (name: string) => within(table).getByRole('row', { name: new RegExp(`^${name} `) });
    expect(row('ci').textContent).toContain('enrol');
    expect(row('ci').textContent).toContain('gha_1abcde…');
    expect(within(row('ci')).getByRole('button', { name: 'Revoke ci' })).toBeTruthy();
    expect(row('old').textContent).toContain('revoked');
    expect(within(row('old')).queryByRole('button')).toBeNull();
    expect(row('lapsed').textContent).toContain('expired');
  });

  it('creates a credential with a scope and an expiry, shows its secret once, and never again after Done', async () => {
    const created: AdminCredential[] = [];
    const { callsOf } = renderWith(<CredentialsPanel />, {
      'credentials.list': async () => ({ credentials: created }),
      'credentials.create': async (input) => {
        const c = credential(7, { name: input.name, scope: input.scope, expires_at: input.expires_at ?? null });
        created.push(c);
        return { ...c, credential: 'gha_SECRET_shown_once' };
      },
    });
    fireEvent.click(await screen.findByRole('button', { name: 'New credential…' }));
    const dialog = screen.getByRole('dialog', { name: 'New admin credential' });
    expect(document.activeElement).toBe(within(dialog).getByLabelText('Name'));
    fireEvent.change(within(dialog).getByLabelText('Name'), { target: { value: 'night shift' } });
    fireEvent.click(within(dialog).getByLabelText(/^approver: Approve and reject hosts/));
    fireEvent.change(within(dialog).getByLabelText('Expires'), { target: { value: '30' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Create credential' }));
    const shown = await screen.findByRole('dialog', { name: 'Credential night shift created' });
    expect(within(shown).getByTestId('secret-once').textContent).toBe('gha_SECRET_shown_once');
    expect(within(shown).getByRole('note').textContent).toContain('it will not be shown again');
    const input = callsOf('credentials.create')[0] as unknown as { name: string; scope: string; expires_at: string };
    expect(input.name).toBe('night shift');
    expect(input.scope).toBe('approver');
    const days = (Date.parse(input.expires_at) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29.9);
    expect(days).toBeLessThan(30.1);

    fireEvent.click(within(shown).getByRole('button', { name: 'Done' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(document.body.textContent).not.toContain('gha_SECRET_shown_once');
    expect((await screen.findByRole('row', { name: /^night shift / })).textContent).toContain('approver');
  });

  it("shows the server's sentence beside the form and keeps what was typed", async () => {
    renderWith(<CredentialsPanel />, {
      'credentials.list': async () => ({ credentials: [] }),
      'credentials.create': async (input) => {
        throw new AdminCallError('CONFLICT', `A credential named "${input.name}" exists already; pick another name.`);
      },
    });
    fireEvent.click(await screen.findByRole('button', { name: 'New credential…' }));
    const dialog = screen.getByRole('dialog', { name: 'New admin credential' });
    fireEvent.change(within(dialog).getByLabelText('Name'), { target: { value: 'ci' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Create credential' }));
    expect((await within(dialog).findByRole('alert')).textContent).toBe(
      'A credential named "ci" exists already; pick another name.',
    );
    expect((within(dialog).getByLabelText('Name') as HTMLInputElement).value).toBe('ci');
  });

  it('revokes only after the confirmation, then lists it as revoked', async () => {
    let list = [credential(1, { name: 'ci' })];
    const { callsOf } = renderWith(<CredentialsPanel />, {
      'credentials.list': async () => ({ credentials: list }),
      'credentials.revoke': async ({ id }) => {
        list = list.map((c) => (c.id === id ? { ...c, revoked_at: new Date().toISOString() } : c));
      },
    });
    fireEvent.click(await screen.findByRole('button', { name: 'Revoke ci' }));
    const confirm = screen.getByRole('dialog', { name: 'Revoke ci?' });
    expect(callsOf('credentials.revoke')).toHaveLength(0);
    expect(document.activeElement).toBe(within(confirm).getByRole('button', { name: 'Cancel' }));
    fireEvent.click(within(confirm).getByRole('button', { name: 'Revoke credential' }));
    await waitFor(() => expect(screen.queryByRole('button', { name: 'Revoke ci' })).toBeNull());
    expect(callsOf('credentials.revoke')).toEqual([{ id: uuid(1) }]);
    expect(screen.getByRole('row', { name: /^ci / }).textContent).toContain('revoked');
  });
});

describe('<WebhooksPanel>', () => {
  it('sends "*" when All is ticked, the picked events otherwise, and the preset', async () => {
    const { callsOf } = renderWith(<WebhooksPanel />, {
      'webhooks.list': async () => ({ webhooks: [] }),
      'webhooks.create': async (input) => ({
        ...webhook(1, { ...input, preset: input.preset ?? null }),
        secret: 'whsec_1',
      }),
    });
    fireEvent.click(await screen.findByRole('button', { name: 'Add webhook…' }));
    let dialog = screen.getByRole('dialog', { name: 'Add webhook' });
    fireEvent.change(within(dialog).getByLabelText('URL'), { target: { value: 'https://hooks.example.net/a' } });
    expect((within(dialog).getByLabelText(/^host.approved:/) as HTMLInputElement).disabled).toBe(true);
    fireEvent.click(within(dialog).getByRole('button', { name: 'Add webhook' }));
    await screen.findByRole('dialog', { name: 'Webhook added' });
    fireEvent.click(screen.getByRole('button', { name: 'Done' }));

    fireEvent.click(await screen.findByRole('button', { name: 'Add webhook…' }));
    dialog = screen.getByRole('dialog', { name: 'Add webhook' });
    fireEvent.change(within(dialog).getByLabelText('URL'), { target: { value: 'https://hooks.slack.com/x' } });
    fireEvent.click(within(dialog).getByLabelText(/^All:/));
    expect((within(dialog).getByRole('button', { name: 'Add webhook' }) as HTMLButtonElement).disabled).toBe(true);
    fireEvent.click(within(dialog).getByLabelText(/^host.pending:/));
    fireEvent.click(within(dialog).getByLabelText(/^alarm:/));
    fireEvent.change(within(dialog).getByLabelText('Format'), { target: { value: 'slack' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Add webhook' }));
    await screen.findByRole('dialog', { name: 'Webhook added' });
    expect(callsOf('webhooks.create')).toEqual([
      { url: 'https://hooks.example.net/a', events: ['*'] },
      { url: 'https://hooks.slack.com/x', events: ['host.pending', 'alarm'], preset: 'slack' },
    ]);
  });

  it('shows the signing secret once with the signature header explained', async () => {
    renderWith(<WebhooksPanel />, {
      'webhooks.list': async () => ({ webhooks: [] }),
      'webhooks.create': async (input) => ({ ...webhook(1, { url: input.url }), secret: 'whsec_abc' }),
    });
    fireEvent.click(await screen.findByRole('button', { name: 'Add webhook…' }));
    const dialog = screen.getByRole('dialog', { name: 'Add webhook' });
    fireEvent.change(within(dialog).getByLabelText('URL'), { target: { value: 'http://127.0.0.1:9/h' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Add webhook' }));
    const added = await screen.findByRole('dialog', { name: 'Webhook added' });
    expect(within(added).getByTestId('secret-once').textContent).toBe('whsec_abc');
    expect(added.textContent).toContain('Gatehouse-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "t.body")>');
  });

  it('says what the test delivery came to: delivered with its speed, or the reason it failed', async () => {
    let next = delivery();
    renderWith(<WebhooksPanel />, {
      'webhooks.list': async () => ({ webhooks: [webhook(1)] }),
      'webhooks.test': async () => next,
    });
    const button = await screen.findByRole('button', { name: 'Send test to https://hooks.example.net/1' });
    fireEvent.click(button);
    const row = screen.getByRole('row', { name: /hooks.example.net\/1/ });
    await waitFor(() => expect(within(row).getByRole('status').textContent).toBe('Delivered: HTTP 200 in 12 ms.'));
    next = delivery({ state: 'failed', last_status: null, response_ms: null, last_error: 'connect ECONNREFUSED' });
    fireEvent.click(button);
    await waitFor(() =>
      expect(within(row).getByRole('status').textContent).toBe(
        'Not delivered after 1 attempt: no answer (connect ECONNREFUSED).',
      ),
    );
  });

  it('shows the delivery log: status, attempts, answer, response time, error and next attempt', async () => {
    const { callsOf } = renderWith(<WebhooksPanel />, {
      'webhooks.list': async () => ({ webhooks: [webhook(1)] }),
      'webhooks.deliveries': async () => ({
        deliveries: [
          delivery({
            id: uuid(901),
            state: 'pending',
            attempts: 2,
            last_status: 500,
            last_error: 'HTTP 500',
            response_ms: 40,
            next_attempt_at: '2026-05-01T10:00:00Z',
            event: 'host.pending',
          }),
          delivery({ id: uuid(902) }),
        ],
      }),
    });
    fireEvent.click(await screen.findByRole('button', { name: 'Delivery log of https://hooks.example.net/1' }));
    const log = await screen.findByRole('table', { name: /Deliveries to https:\/\/hooks.example.net\/1/ });
    const rows = within(log).getAllByRole('row').slice(1);
    expect(rows.map((r) => r.getAttribute('data-delivery-state'))).toEqual(['pending', 'delivered']);
    expect(rows[0]!.textContent).toContain('host.pending');
    expect(rows[0]!.textContent).toContain('HTTP 500');
    expect(rows[0]!.textContent).toContain('40 ms');
    expect(within(rows[0]!).getAllByRole('cell')[7]!.querySelector('time')?.getAttribute('datetime')).toBe(
      '2026-05-01T10:00:00Z',
    );
    expect(callsOf('webhooks.deliveries')).toEqual([{ id: uuid(101), limit: 50 }]);
  });

  it('deletes only after the confirmation', async () => {
    let hooks = [webhook(1)];
    const { callsOf } = renderWith(<WebhooksPanel />, {
      'webhooks.list': async () => ({ webhooks: hooks }),
      'webhooks.delete': async ({ id }) => {
        hooks = hooks.filter((h) => h.id !== id);
      },
    });
    fireEvent.click(await screen.findByRole('button', { name: 'Delete https://hooks.example.net/1' }));
    expect(callsOf('webhooks.delete')).toHaveLength(0);
    fireEvent.click(screen.getByRole('button', { name: 'Delete webhook' }));
    await screen.findByText('No webhooks: nothing is sent anywhere.');
    expect(callsOf('webhooks.delete')).toEqual([{ id: uuid(101) }]);
  });
});

describe('<MailSettingsPanel>', () => {
  const saved: MailSettings = {
    configured: true,
    host: 'smtp.example.net',
    port: 587,
    security: 'starttls',
    user: 'gatehouse',
    from: 'gatehouse@example.net',
    password_set: true,
  };

  it('never fills the password in, says one is saved, and keeps it when the field is left empty', async () => {
    const { callsOf } = renderWith(<MailSettingsPanel />, {
      'mail.settings.get': async () => saved,
      'mail.settings.update': async (input) => ({ ...saved, host: input.host }),
    });
    const password = (await screen.findByLabelText('Password')) as HTMLInputElement;
    expect(password.value).toBe('');
    expect(screen.getByTestId('mail-password-state').textContent).toContain('A password is saved');
    fireEvent.change(screen.getByLabelText('Mail server'), { target: { value: 'mail.example.net' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save mail settings' }));
    await waitFor(() => expect(callsOf('mail.settings.update')).toHaveLength(1));
    expect(callsOf('mail.settings.update')[0]).toEqual({
      host: 'mail.example.net',
      port: 587,
      security: 'starttls',
      user: 'gatehouse',
      from: 'gatehouse@example.net',
    });
  });

  it('sends a new password, or an empty one to remove it; the field is empty again after saving', async () => {
    const { callsOf } = renderWith(<MailSettingsPanel />, {
      'mail.settings.get': async () => saved,
      'mail.settings.update': async (input) => ({ ...saved, password_set: input.password !== '' }),
    });
    fireEvent.change(await screen.findByLabelText('Password'), { target: { value: 'hunter2' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save mail settings' }));
    await waitFor(() => expect(callsOf('mail.settings.update')).toHaveLength(1));
    expect(callsOf('mail.settings.update')[0]).toMatchObject({ password: 'hunter2' });
    await waitFor(() => expect((screen.getByLabelText('Password') as HTMLInputElement).value).toBe(''));
    fireEvent.click(screen.getByLabelText(/Remove the saved password/));
    fireEvent.click(screen.getByRole('button', { name: 'Save mail settings' }));
    await waitFor(() => expect(callsOf('mail.settings.update')).toHaveLength(2));
    expect(callsOf('mail.settings.update')[1]).toMatchObject({ password: '' });
    expect(await screen.findByText('No password saved.')).toBeTruthy();
  });

  it('moves the port with the security choice while it is still the usual one', async () => {
    renderWith(<MailSettingsPanel />, {
      'mail.settings.get': async () => ({
        configured: false,
        host: null,
        port: null,
        security: 'starttls',
        user: null,
        from: null,
        password_set: false,
      }),
    });
    const port = (await screen.findByLabelText('Port')) as HTMLInputElement;
    expect(port.value).toBe('587');
    fireEvent.change(screen.getByLabelText('Security'), { target: { value: 'tls' } });
    expect(port.value).toBe('465');
    fireEvent.change(port, { target: { value: '2525' } });
    fireEvent.change(screen.getByLabelText('Security'), { target: { value: 'none' } });
    expect(port.value).toBe('2525');
  });
});

describe('<SendTokenDialog>', () => {
  const tokenId = uuid(500);
  const noMail = async (): Promise<MailSettings> => ({
    configured: false,
    host: null,
    port: null,
    security: 'starttls',
    user: null,
    from: null,
    password_set: false,
  });

  it('posts to the picked webhook and says it was delivered', async () => {
    const { callsOf } = renderWith(<SendTokenDialog tokenId={tokenId} onClose={() => {}} />, {
      'webhooks.list': async () => ({ webhooks: [webhook(1), webhook(2, { preset: 'slack' })] }),
      'mail.settings.get': noMail,
      'tokens.send': async ({ to }) => ({ via: 'webhook', to, delivered: true, error: null }),
    });
    fireEvent.click(screen.getByLabelText('Chat webhook'));
    fireEvent.change(await screen.findByLabelText('Webhook'), { target: { value: uuid(102) } });
    fireEvent.click(screen.getByRole('button', { name: 'Send' }));
    await waitFor(() =>
      expect(screen.getByRole('status').textContent).toBe('Delivered to Slack: https://hooks.example.net/2.'),
    );
    expect(callsOf('tokens.send')).toEqual([{ id: tokenId, to: uuid(102) }]);
  });

  it("gives the other end's reason when the message was not taken, and the server's sentence when refused", async () => {
    let mailReady = false;
    renderWith(<SendTokenDialog tokenId={tokenId} onClose={() => {}} />, {
      'webhooks.list': async () => ({ webhooks: [] }),
      'mail.settings.get': noMail,
      'tokens.send': async ({ to }) => {
        if (!mailReady) throw new AdminCallError('CONFLICT', 'No mail server is set up: save the SMTP settings first.');
        return { via: 'email', to, delivered: false, error: '550 mailbox unavailable' };
      },
    });
    expect(await screen.findByText(/No mail server is set up yet/)).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Email address'), { target: { value: 'tech@example.net' } });
    fireEvent.click(screen.getByRole('button', { name: 'Send' }));
    expect((await screen.findByRole('alert')).textContent).toBe(
      'No mail server is set up: save the SMTP settings first.',
    );
    mailReady = true;
    fireEvent.click(screen.getByRole('button', { name: 'Send' }));
    await waitFor(() =>
      expect(screen.getByRole('status').textContent).toBe(
        'Not delivered to tech@example.net: 550 mailbox unavailable.',
      ),
    );
    expect(screen.queryByRole('alert')).toBeNull();
  });
});

describe('live updates', () => {
  it('fetches loaded credential and webhook lists again when an audited change arrives, and nothing else', async () => {
    const { connectLiveUpdates } = await import('../../../../src/renderer/src/stores/app-store');
    const fake = fakeClient({
      'credentials.list': async () => ({ credentials: [] }),
      'webhooks.list': async () => ({ webhooks: [] }),
    });
    const app = createAppStore(fake.client);
    const stop = connectLiveUpdates(app, fake.client, 5);
    await app.getState().loadCredentials();
    fake.emit({ topic: 'audit', action: 'appended' });
    await waitFor(() => expect(fake.callsOf('credentials.list')).toHaveLength(2));
    expect(fake.callsOf('webhooks.list')).toHaveLength(0);
    expect(fake.callsOf('mail.settings.get')).toHaveLength(0);
    stop();
  });
});
