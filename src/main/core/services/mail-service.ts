import nodemailer from 'nodemailer';
import QRCode from 'qrcode';
import { z } from 'zod';
import { ApiError } from '../../../shared/api/errors';
import type { ParsedInput } from '../../../shared/api/operations';
import type { MailSettings, TokenSendResult } from '../../../shared/domain';
import type { Store } from '../store/store';
import type { SecretBox } from '../security/secret-box';
import type { AuditService } from './audit-service';
import type { TokenService } from './token-service';
import type { WebhookService } from './webhook-service';

/** The settings-table key the SMTP settings live under. */
export const MAIL_SETTINGS_KEY = 'mail';
const QR_CID = 'join-qr@gatehouse';

/** As stored: the password sealed with the core's key (base64), never in clear. */
interface StoredMail {
  host: string;
  port: number;
  security: MailSettings['security'];
  user: string | null;
  from: string;
  password_sealed: string | null;
}

const storedMail = z.object({
  host: z.string(),
  port: z.number(),
  security: z.enum(['tls', 'starttls', 'none']),
  user: z.string().nullable(),
  from: z.string(),
  password_sealed: z.string().nullable(),
});

const UNCONFIGURED: MailSettings = {
  configured: false,
  host: null,
  port: null,
  security: 'starttls',
  user: null,
  from: null,
  password_set: false,
};

const toView = (m: StoredMail | null): MailSettings =>
  m
    ? {
        configured: true,
        host: m.host,
        port: m.port,
        security: m.security,
        user: m.user,
        from: m.from,
        password_set: m.password_sealed !== null,
      }
    : UNCONFIGURED;

export interface MailServiceDeps {
  store: Store;
  audit: AuditService;
  secretBox: SecretBox;
  tokens: TokenService;
  webhooks: WebhookService;
}

/**
 * Join instructions for the technician at the machine: the join command and a QR code of
 * it, by email (SMTP through nodemailer) or to a chat webhook. The token text leaves only
 * in the message itself: the audit names the token's prefix and the recipient, the
 * webhook log keeps a note in place of the body.
 */
export function createMailService(deps: MailServiceDeps) {
  async function stored(): Promise<StoredMail | null> {
    const all = await deps.store.read((r) => r.settings.readAll());
    const parsed = storedMail.safeParse(all[MAIL_SETTINGS_KEY]);
    return parsed.success ? parsed.data : null;
  }

  async function sendEmail(
    mail: StoredMail,
    to: string,
    subject: string,
    command: string,
    png: Buffer,
    expiresAt: string,
  ): Promise<{ delivered: boolean; error: string | null }> {
    const transport = nodemailer.createTransport({
      host: mail.host,
      port: mail.port,
      secure: mail.security === 'tls',
      requireTLS: mail.security === 'starttls',
      ignoreTLS: mail.security === 'none',
      auth:
        mail.user !== null
          ? {
              user: mail.user,
              pass: mail.password_sealed ? deps.secretBox.open(Buffer.from(mail.password_sealed, 'base64')) : '',
            }
          : undefined,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 20_000,
    });
    const escaped = command.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    try {
      await transport.sendMail({
        from: mail.from,
        to,
        subject,
        text:
          `Run this command as root on the machine to enrol it with Gatehouse:\n\n${command}\n\n` +
          `Or scan the attached QR code (it holds the same command). The token expires at ${expiresAt}.\n`,
        html:
          `<p>Run this command as root on the machine to enrol it with Gatehouse:</p>` +
          `<pre style="white-space:pre-wrap;word-break:break-all">${escaped}</pre>` +
          `<p>Or scan this QR code (it holds the same command):</p><img src="cid:${QR_CID}" alt="QR code of the join command" width="384" height="384">` +
          `<p>The token expires at ${expiresAt}.</p>`,
        attachments: [{ filename: 'join-command.png', content: png, contentType: 'image/png', cid: QR_CID }],
      });
      return { delivered: true, error: null };
    } catch (error) {
      return { delivered: false, error: error instanceof Error ? error.message : String(error) };
    } finally {
      transport.close();
    }
  }

  return {
    async getSettings(): Promise<MailSettings> {
      return toView(await stored());
    },

    async updateSettings(input: ParsedInput<'mail.settings.update'>, actor: string): Promise<MailSettings> {
      const previous = await stored();
      const password_sealed =
        input.password === undefined
          ? (previous?.password_sealed ?? null)
          : input.password === ''
            ? null
            : deps.secretBox.seal(input.password).toString('base64');
      const next: StoredMail = {
        host: input.host,
        port: input.port,
        security: input.security,
        user: input.user ? input.user : null,
        from: input.from,
        password_sealed,
      };
      await deps.store.write(async (tx) => {
        await tx.settings.write(MAIL_SETTINGS_KEY, next);
        await deps.audit.record(tx, {
          actor,
          action: 'mail.settings_updated',
          targetType: 'settings',
          detail: {
            host: next.host,
            port: next.port,
            security: next.security,
            user: next.user,
            from: next.from,
            password: input.password === undefined ? 'kept' : input.password === '' ? 'cleared' : 'changed',
          },
        });
      });
      return toView(next);
    },

    /** Sends a token's join instructions: `to` is an email address or a webhook's id. */
    async sendToken(input: ParsedInput<'tokens.send'>, actor: string): Promise<TokenSendResult> {
      const token = await deps.tokens.get(input.id);
      const viaWebhook = z.uuid().safeParse(input.to).success;
      const mail = viaWebhook ? null : await stored();
      if (!viaWebhook && !mail) {
        throw new ApiError(
          'CONFLICT',
          'No mail server is set up: save the SMTP settings (mail.settings.update) before sending by email.',
        );
      }
      if (viaWebhook) await deps.webhooks.deliveries(input.to, 1); // NOT_FOUND before the token is revealed
      const secret = await deps.tokens.reveal(input.id, actor);
      const label = token.description || `${token.prefix}…`;
      let outcome: { delivered: boolean; error: string | null };
      if (viaWebhook) {
        outcome = await deps.webhooks.postNow(
          input.to,
          {
            event: 'token.join_instructions',
            data: { token_id: token.id, description: token.description, join_command: secret.join_command },
            title: `Join instructions for ${label}: run this as root on the machine`,
            lines: [`The token expires at ${token.expires_at}.`],
            code: secret.join_command,
          },
          {
            event: 'token.join_instructions',
            token_id: token.id,
            prefix: token.prefix,
            note: 'body not kept: it holds the token',
          },
        );
      } else {
        const png = await QRCode.toBuffer(secret.join_command, {
          type: 'png',
          errorCorrectionLevel: 'M',
          margin: 2,
          width: 768,
        });
        outcome = await sendEmail(
          mail!,
          input.to,
          `Gatehouse join instructions: ${label}`,
          secret.join_command,
          png,
          token.expires_at,
        );
      }
      const result: TokenSendResult = {
        via: viaWebhook ? 'webhook' : 'email',
        to: input.to,
        delivered: outcome.delivered,
        error: outcome.error,
      };
      await deps.store.write((tx) =>
        deps.audit.record(tx, {
          actor,
          action: 'token.sent',
          targetType: 'token',
          targetId: token.id,
          detail: { prefix: token.prefix, via: result.via, to: result.to, delivered: result.delivered },
        }),
      );
      return result;
    },
  };
}

export type MailService = ReturnType<typeof createMailService>;
