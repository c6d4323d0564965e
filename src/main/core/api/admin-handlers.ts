import { ApiError } from '../../../shared/api/errors';
import type { OperationName, OperationOutput, ParsedInput } from '../../../shared/api/operations';
import type { Scope } from '../../../shared/api/scopes';
import type { ApprovalRuleService } from '../services/approval-rule-service';
import type { AuditService } from '../services/audit-service';
import type { CredentialService } from '../services/credential-service';
import type { EnrolmentSheet } from '../services/enrolment-sheet';
import type { ExpectedHostService } from '../services/expected-host-service';
import type { InventoryService } from '../services/inventory-service';
import type { HostService } from '../services/host-service';
import type { SettingsService } from '../services/settings-service';
import type { SystemService } from '../services/system-service';
import type { TokenService } from '../services/token-service';
import type { MailService } from '../services/mail-service';
import type { WebhookService } from '../services/webhook-service';

/** Who is asking: recorded as the actor of every change. */
export interface CallContext {
  actor: string;
  /** What the caller may do; the desktop window and the admin token hold `admin`. */
  scope: Scope;
}

export type AdminHandlers = {
  [N in OperationName]: (input: ParsedInput<N>, ctx: CallContext) => OperationOutput<N> | Promise<OperationOutput<N>>;
};

export interface AdminServices {
  tokens: TokenService;
  hosts: HostService;
  audit: AuditService;
  settings: SettingsService;
  system: SystemService;
  credentials: CredentialService;
  inventory: InventoryService;
  expected: ExpectedHostService;
  rules: ApprovalRuleService;
  sheet: EnrolmentSheet;
  webhooks: WebhookService;
  mail: MailService;
}

/** One handler per contract operation; each is a single call into a service. */
export function createAdminHandlers(s: AdminServices): AdminHandlers {
  return {
    'tokens.list': (input) => s.tokens.list(input.include_expired ?? false),
    'tokens.create': (input, ctx) => s.tokens.create(input, ctx.actor),
    'tokens.get': (input) => s.tokens.get(input.id),
    'tokens.revoke': (input, ctx) => s.tokens.revoke(input.id, ctx.actor),
    'tokens.delete': (input, ctx) => s.tokens.delete(input.id, ctx.actor),
    'tokens.reveal': (input, ctx) => s.tokens.reveal(input.id, ctx.actor),
    'tokens.qr': (input, ctx) => s.tokens.qr(input.id, input.format ?? 'svg', input.content ?? 'command', ctx.actor),
    'hosts.list': (input) => s.hosts.list(input),
    'hosts.counts': () => s.hosts.counts(),
    'hosts.get': (input) => s.hosts.get(input.id),
    'hosts.approve': (input, ctx) => s.hosts.decide(input.id, 'approve', ctx.actor),
    'hosts.reject': (input, ctx) => s.hosts.decide(input.id, 'reject', ctx.actor, input.reason),
    'hosts.disable': (input, ctx) => s.hosts.decide(input.id, 'disable', ctx.actor),
    'hosts.enable': (input, ctx) => s.hosts.decide(input.id, 'enable', ctx.actor),
    'hosts.delete': (input, ctx) => s.hosts.delete(input.id, ctx.actor),
    'hosts.bulk': (input, ctx) => s.hosts.bulk(input, ctx.actor),
    'audit.list': (input) => s.audit.list(input),
    'settings.get': () => s.settings.get(),
    'settings.update': (input, ctx) => {
      // Headless, --port/--bind/--advertise-url decide; a saved value would never take effect.
      const lanFields = (['lan_port', 'lan_bind', 'advertise_url'] as const).filter((k) => input[k] !== undefined);
      if (lanFields.length && s.system.info().lan_source === 'command_line') {
        throw new ApiError(
          'CONFLICT',
          `${lanFields.join(', ')}: set by the command line here (--port, --bind, --advertise-url); restart with other flags to change it.`,
        );
      }
      return s.settings.update(input, ctx.actor);
    },
    'system.info': () => s.system.info(),
    'certificate.regenerate': (_input, ctx) => s.system.regenerateCertificate(ctx.actor),
    'credentials.list': () => s.credentials.list(),
    'credentials.create': (input, ctx) => s.credentials.create(input, ctx.actor),
    'credentials.revoke': (input, ctx) => s.credentials.revoke(input.id, ctx.actor),
    'inventory.export': (input) => s.inventory.export(input.format ?? 'ansible'),
    'expected.import': (input, ctx) => s.expected.import(input, ctx.actor),
    'expected.list': (input) => s.expected.list(input),
    'expected.sheet': (input, ctx) => s.sheet.sheet(input, ctx.actor),
    'rules.list': () => s.rules.list(),
    'rules.create': (input, ctx) => s.rules.create(input, ctx.actor),
    'rules.reorder': (input, ctx) => s.rules.reorder(input.ids, ctx.actor),
    'rules.update': (input, ctx) => s.rules.update(input, ctx.actor),
    'rules.delete': (input, ctx) => s.rules.delete(input.id, ctx.actor),
    'webhooks.list': () => s.webhooks.list(),
    'webhooks.create': (input, ctx) => s.webhooks.create(input, ctx.actor),
    'webhooks.delete': (input, ctx) => s.webhooks.delete(input.id, ctx.actor),
    'webhooks.test': (input, ctx) => s.webhooks.test(input.id, ctx.actor),
    'webhooks.deliveries': (input) => s.webhooks.deliveries(input.id, input.limit),
    'mail.settings.get': () => s.mail.getSettings(),
    'mail.settings.update': (input, ctx) => s.mail.updateSettings(input, ctx.actor),
    'tokens.send': (input, ctx) => s.mail.sendToken(input, ctx.actor),
  };
}
