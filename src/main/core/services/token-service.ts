import { randomBytes, randomUUID } from 'node:crypto';
import QRCode from 'qrcode';
import { ApiError } from '../../../shared/api/errors';
import type { ParsedInput } from '../../../shared/api/operations';
import type { CreatedToken, RegistrationToken, TokenSecret, TokenState } from '../../../shared/domain';
import { parseToken, tokenFromRandom, tokenRecognitionPrefix } from '../../../shared/token-format';
import { tokenStateAt } from '../../../shared/token-state';
import type { Db } from '../db/connection';
import { writeTransaction } from '../db/connection';
import type { TokenRecord, TokenRepository } from '../repositories/token-repository';
import { iso } from '../repositories/json-column';
import { hashSecret } from '../security/secrets';
import type { SecretBox } from '../security/secret-box';
import type { AuditService } from './audit-service';
import type { Clock } from './clock';
import type { EventBus } from './event-bus';
import { joinCommand, joinUrl, type LanEndpoint } from './join-links';
import type { SettingsService } from './settings-service';

const HOUR = 3_600_000;
/** The list answer names at most this many hosts per token; the single-token answer names all. */
const USED_BY_IN_LIST = 20;

export function tokenState(token: TokenRecord, now: number): TokenState {
  return tokenStateAt(
    {
      revoked: token.revoked_at !== null,
      expiresAt: token.expires_at,
      maxUses: token.max_uses,
      useCount: token.use_count,
    },
    now,
  );
}

const REFUSAL: Record<Exclude<TokenState, 'active'>, ApiError> = {
  revoked: new ApiError('TOKEN_REVOKED', 'This registration token was revoked. Ask the admin for a new one.'),
  expired: new ApiError('TOKEN_EXPIRED', 'This registration token has expired. Ask the admin for a new one.'),
  exhausted: new ApiError('TOKEN_EXHAUSTED', 'This registration token has no uses left. Ask the admin for a new one.'),
};

export interface TokenServiceDeps {
  db: Db;
  tokens: TokenRepository;
  audit: AuditService;
  settings: SettingsService;
  events: EventBus;
  clock: Clock;
  secretBox: SecretBox;
  endpoint: () => LanEndpoint;
}

export function createTokenService(deps: TokenServiceDeps) {
  const { tokens, clock } = deps;

  function toApi(record: TokenRecord, usedByLimit = Infinity): RegistrationToken {
    const now = clock.now();
    const state = tokenState(record, now);
    const usedBy = deps.tokens.usedByNodes(record.id);
    return {
      id: record.id,
      description: record.description,
      prefix: record.prefix,
      expires_at: iso(record.expires_at)!,
      max_uses: record.max_uses,
      use_count: record.use_count,
      used_by_nodes: usedBy.slice(0, usedByLimit),
      labels: record.labels,
      auto_approve: record.auto_approve,
      allowed_cidrs: record.allowed_cidrs,
      failed_attempts: {
        count: record.failed_attempt_count,
        last_source: record.last_failed_source,
        last_at: iso(record.last_failed_at),
      },
      created_at: iso(record.created_at)!,
      created_by: record.created_by,
      revoked_at: iso(record.revoked_at),
      last_used_at: iso(record.last_used_at),
      state,
      is_valid: state === 'active',
    };
  }

  function mustFind(id: string): TokenRecord {
    const record = tokens.findById(id);
    if (!record) throw new ApiError('NOT_FOUND', 'No registration token has that id.');
    return record;
  }

  /** The sealed text, or null when it cannot be opened (the sealing key was replaced). */
  function openSealed(sealed: Buffer): string | null {
    try {
      return deps.secretBox.open(sealed);
    } catch {
      return null;
    }
  }

  function secretFor(text: string): TokenSecret {
    const endpoint = deps.endpoint();
    return { token: text, join_url: joinUrl(endpoint, text), join_command: joinCommand(endpoint, text) };
  }

  return {
    toApi,

    create(input: ParsedInput<'tokens.create'>, actor: string): CreatedToken {
      const now = clock.now();
      const expiresAt =
        input.expires_at !== undefined ? Date.parse(input.expires_at) : now + input.expires_in_hours! * HOUR;
      if (!(expiresAt > now)) {
        throw new ApiError('VALIDATION_FAILED', 'expires_at must be in the future.', [
          { path: 'expires_at', message: 'must be in the future' },
        ]);
      }
      const text = tokenFromRandom(deps.settings.get().token_prefix, randomBytes(32));
      const id = randomUUID();
      const settings = {
        prefix: tokenRecognitionPrefix(text),
        description: input.description ?? '',
        labels: [...new Set(input.labels ?? [])],
        autoApprove: input.auto_approve ?? false,
        allowedCidrs: input.allowed_cidrs ?? [],
      };
      writeTransaction(deps.db, () => {
        tokens.insert({
          id,
          tokenHash: hashSecret(parseTokenOrThrow(text)),
          tokenSealed: deps.secretBox.seal(text),
          ...settings,
          expiresAt,
          maxUses: input.max_uses,
          createdAt: now,
          createdBy: actor,
        });
        deps.audit.record({
          actor,
          action: 'token.created',
          targetType: 'token',
          targetId: id,
          detail: {
            prefix: settings.prefix,
            description: settings.description,
            expires_at: new Date(expiresAt).toISOString(),
            max_uses: input.max_uses,
            labels: settings.labels,
            auto_approve: settings.autoApprove,
            allowed_cidrs: settings.allowedCidrs,
          },
        });
      });
      deps.events.publish({ topic: 'tokens', action: 'created', id });
      return { ...toApi(mustFind(id)), ...secretFor(text) };
    },

    list(includeExpired: boolean): { tokens: RegistrationToken[]; total_count: number } {
      const list = tokens.list({ includeExpired, now: clock.now() }).map((t) => toApi(t, USED_BY_IN_LIST));
      return { tokens: list, total_count: list.length };
    },

    get(id: string): RegistrationToken {
      return toApi(mustFind(id));
    },

    revoke(id: string, actor: string): RegistrationToken {
      writeTransaction(deps.db, () => {
        const record = mustFind(id);
        if (record.revoked_at !== null) return;
        tokens.revoke(id, clock.now());
        deps.audit.record({
          actor,
          action: 'token.revoked',
          targetType: 'token',
          targetId: id,
          detail: { prefix: record.prefix },
        });
      });
      deps.events.publish({ topic: 'tokens', action: 'revoked', id });
      return toApi(mustFind(id));
    },

    delete(id: string, actor: string): void {
      writeTransaction(deps.db, () => {
        const record = mustFind(id);
        tokens.delete(id);
        deps.audit.record({
          actor,
          action: 'token.deleted',
          targetType: 'token',
          targetId: id,
          detail: { prefix: record.prefix, description: record.description, use_count: record.use_count },
        });
      });
      deps.events.publish({ topic: 'tokens', action: 'deleted', id });
    },

    /** The token text again, only while it can still be used, from its sealed copy. */
    reveal(id: string, actor: string): TokenSecret {
      const record = mustFind(id);
      if (tokenState(record, clock.now()) !== 'active' || !record.token_sealed) {
        if (record.token_sealed) tokens.dropSealedCopy(id);
        throw new ApiError('TOKEN_NOT_VALID', 'This token can no longer be used, so it cannot be shown again.');
      }
      const text = openSealed(record.token_sealed);
      if (text === null) {
        tokens.dropSealedCopy(id);
        throw new ApiError(
          'TOKEN_NOT_VALID',
          'This token cannot be shown again: the key that sealed it was replaced. Create a new token.',
        );
      }
      deps.audit.record({
        actor,
        action: 'token.revealed',
        targetType: 'token',
        targetId: id,
        detail: { prefix: record.prefix },
      });
      return secretFor(text);
    },

    async qr(id: string, format: 'svg' | 'png', actor: string): Promise<{ content_type: string; data: string }> {
      const { join_url } = this.reveal(id, actor);
      if (format === 'png') {
        const png = await QRCode.toBuffer(join_url, { type: 'png', errorCorrectionLevel: 'M', margin: 2, width: 512 });
        return { content_type: 'image/png', data: png.toString('base64') };
      }
      const svg = await QRCode.toString(join_url, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
      return { content_type: 'image/svg+xml', data: svg };
    },

    /** Hash of presented token text; a failed check character is refused here, before any look-up. */
    hashOfTokenText(text: string): Buffer {
      return hashSecret(parseTokenOrThrow(text));
    },

    /** Throws the refusal for a token that is not active at `now`. */
    assertUsable(record: TokenRecord, now: number): void {
      const state = tokenState(record, now);
      if (state !== 'active') throw REFUSAL[state];
    },
  };
}

function parseTokenOrThrow(text: string): string {
  const parsed = parseToken(text);
  if (!parsed.ok) {
    throw new ApiError(
      'TOKEN_MALFORMED',
      parsed.reason === 'check'
        ? 'This registration token has a typo: its check character does not match. Copy it again.'
        : 'This is not a registration token: expected GATE-XXXX-XXXX-… in Crockford Base32.',
    );
  }
  return parsed.body;
}

export type TokenService = ReturnType<typeof createTokenService>;
