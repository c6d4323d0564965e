import { AdminCallError } from '../../../shared/api/client';
import type { OperationInput } from '../../../shared/api/operations';
import type {
  AdminCredential,
  CreatedCredential,
  CreatedWebhook,
  MailSettings,
  TokenSendResult,
  Webhook,
  WebhookDelivery,
} from '../../../shared/domain';
import type { SliceCreator } from './types';

/**
 * What a form's call came to: the value, or the server's sentence to show beside the
 * form. Forms keep the admin's input on a refusal, so the sentence belongs there, not in
 * a passing notice.
 */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: string };

export interface IntegrationsSlice {
  credentials: AdminCredential[];
  credentialsLoaded: boolean;
  loadCredentials(): Promise<void>;
  /** The answer carries the secret this once; the list never does. */
  createCredential(input: OperationInput<'credentials.create'>): Promise<Outcome<CreatedCredential>>;
  revokeCredential(id: string): Promise<boolean>;

  webhooks: Webhook[];
  webhooksLoaded: boolean;
  loadWebhooks(): Promise<void>;
  /** The answer carries the signing secret this once. */
  createWebhook(input: OperationInput<'webhooks.create'>): Promise<Outcome<CreatedWebhook>>;
  deleteWebhook(id: string): Promise<boolean>;
  /** One signed test event, sent now; its log entry (delivered or failed, and why). */
  testWebhook(id: string): Promise<Outcome<WebhookDelivery>>;
  /** Delivery logs by webhook id, newest first; only the ones looked at are fetched. */
  deliveries: Record<string, WebhookDelivery[]>;
  loadDeliveries(id: string): Promise<void>;

  mail: MailSettings | null;
  loadMail(): Promise<void>;
  saveMail(input: OperationInput<'mail.settings.update'>): Promise<Outcome<MailSettings>>;

  /** Mails a token's join instructions, or posts them to a webhook (`to`: address or webhook id). */
  sendToken(id: string, to: string): Promise<Outcome<TokenSendResult>>;

  /** Credentials, webhooks and mail settings changed elsewhere (audited): fetch what is on screen again. */
  refreshIntegrations(): Promise<void>;
}

/** Webhook events in the words the admin picks them by. */
export const WEBHOOK_EVENT_TEXT: Record<Webhook['events'][number], string> = {
  '*': 'All events, including ones added later',
  'host.pending': 'A host asks to join (waits for approval)',
  'host.approved': 'A host is approved',
  'host.rejected': 'A host is rejected',
  'host.offline': 'An approved host goes offline',
  'token.exhausted': 'A token has been used up',
  'token.expiring': 'A token is about to expire',
  alarm: 'An alarm (possible clone, credential or token seen twice)',
};

/** What each credential scope lets its holder do, in plain words. */
export const SCOPE_TEXT: Record<AdminCredential['scope'], string> = {
  admin: 'Everything you can do here, including credentials, webhooks and settings.',
  approver: 'Approve and reject hosts, and read everything. Cannot create tokens, disable hosts or change settings.',
  'read-only': 'Read hosts, tokens, inventory, audit and metrics. Changes nothing.',
  enrol: 'Create registration tokens, nothing else (for provisioning scripts). Cannot see or decide hosts.',
};

export const createIntegrationsSlice: SliceCreator<IntegrationsSlice> = (client) => (set, get) => {
  /** Like `attempt`, but a refusal comes back as its sentence for the form to show. */
  async function outcome<T>(call: () => Promise<T>): Promise<Outcome<T>> {
    try {
      return { ok: true, value: await call() };
    } catch (error) {
      if (error instanceof AdminCallError && error.code !== 'UNAUTHORIZED') return { ok: false, error: error.message };
      get().reportError(error);
      return { ok: false, error: 'Gatehouse could not be reached; try again.' };
    }
  }
  return {
    credentials: [],
    credentialsLoaded: false,
    loadCredentials: () =>
      get().attempt(async () => {
        const { credentials } = await client.api['credentials.list']({});
        set({ credentials, credentialsLoaded: true });
      }, undefined),
    async createCredential(input) {
      const result = await outcome(() => client.api['credentials.create'](input));
      if (result.ok) await get().loadCredentials();
      return result;
    },
    revokeCredential: (id) =>
      get().attempt(async () => {
        const name = get().credentials.find((c) => c.id === id)?.name ?? 'The credential';
        await client.api['credentials.revoke']({ id });
        await get().loadCredentials();
        get().notify('info', `${name} revoked: it no longer works.`);
        return true;
      }, false),

    webhooks: [],
    webhooksLoaded: false,
    loadWebhooks: () =>
      get().attempt(async () => {
        const { webhooks } = await client.api['webhooks.list']({});
        set({ webhooks, webhooksLoaded: true });
      }, undefined),
    async createWebhook(input) {
      const result = await outcome(() => client.api['webhooks.create'](input));
      if (result.ok) await get().loadWebhooks();
      return result;
    },
    deleteWebhook: (id) =>
      get().attempt(async () => {
        const url = get().webhooks.find((w) => w.id === id)?.url ?? 'The webhook';
        await client.api['webhooks.delete']({ id });
        const { [id]: _gone, ...deliveries } = get().deliveries;
        set({ deliveries });
        await get().loadWebhooks();
        get().notify('info', `Webhook ${url} deleted.`);
        return true;
      }, false),
    async testWebhook(id) {
      const result = await outcome(() => client.api['webhooks.test']({ id }));
      if (result.ok && get().deliveries[id]) await get().loadDeliveries(id);
      return result;
    },
    deliveries: {},
    loadDeliveries: (id) =>
      get().attempt(async () => {
        const { deliveries } = await client.api['webhooks.deliveries']({ id, limit: 50 });
        set({ deliveries: { ...get().deliveries, [id]: deliveries } });
      }, undefined),

    mail: null,
    loadMail: () =>
      get().attempt(async () => {
        set({ mail: await client.api['mail.settings.get']({}) });
      }, undefined),
    async saveMail(input) {
      const result = await outcome(() => client.api['mail.settings.update'](input));
      if (result.ok) {
        set({ mail: result.value });
        get().notify('info', 'Mail settings saved.');
      }
      return result;
    },

    sendToken: (id, to) => outcome(() => client.api['tokens.send']({ id, to })),

    async refreshIntegrations() {
      const { credentialsLoaded, webhooksLoaded, mail } = get();
      await Promise.all([
        credentialsLoaded ? get().loadCredentials() : undefined,
        webhooksLoaded ? get().loadWebhooks() : undefined,
        mail ? get().loadMail() : undefined,
      ]);
    },
  };
};
