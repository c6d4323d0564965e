import { randomBytes, randomUUID } from 'node:crypto';
import QRCode from 'qrcode';
import { ApiError } from '../../../shared/api/errors';
import type { ParsedInput } from '../../../shared/api/operations';
import type { CreatedToken, RegistrationToken, TokenSecret, TokenState } from '../../../shared/domain';
import { parseToken, tokenFromRandom, tokenRecognitionPrefix } from '../../../shared/token-format';
import { tokenStateAt } from '../../../shared/token-state';
import { iso } from '../repositories/json-column';
import type { Repositories, Store, UnitOfWork } from '../store/store';
import type { TokenRecord } from '../store/repositories';
import { hashSecret } from '../security/secrets';
import type { SecretBox } from '../security/secret-box';
import type { AuditService } from './audit-service';
import type { Clock } from './clock';
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
  store: Store;
  audit: AuditService;
  settings: SettingsService;
  clock: Clock;
  secretBox: SecretBox;
  endpoint: () => LanEndpoint;
}

export function createTokenService(deps: TokenServiceDeps) {
  const { clock } = deps;

  async function toApi(repos: Repositories, record: TokenRecord, usedByLimit?: number): Promise<RegistrationToken> {
    const state = tokenState(record, clock.now());
    return {
      id: record.id,
      description: record.description,
      prefix: record.prefix,
      expires_at: iso(record.expires_at)!,
      max_uses: record.max_uses,
      use_count: record.use_count,
      used_by_nodes: await repos.tokens.usedByNodes(record.id, usedByLimit),
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
      ephemeral_offline_minutes: record.ephemeral_offline_minutes ?? null,
      state,
      is_valid: state === 'active',
    };
  }

  async function mustFind(repos: Repositories, id: string): Promise<TokenRecord> {
    const record = await repos.tokens.findById(id);
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

  function expiryOf(input: ParsedInput<'tokens.create'>, now: number): number {
    const expiresAt =
      input.expires_at !== undefined ? Date.parse(input.expires_at) : now + input.expires_in_hours! * HOUR;
    if (!(expiresAt > now)) {
      throw new ApiError('VALIDATION_FAILED', 'expires_at must be in the future.', [
        { path: 'expires_at', message: 'must be in the future' },
      ]);
    }
    return expiresAt;
  }

  /** Records a change to one token with its audit entry and event, inside the caller's unit. */
  async function audited(tx: UnitOfWork, actor: string, action: string, record: TokenRecord, detail = {}) {
    await deps.audit.record(tx, {
      actor,
      action: `token.${action}`,
      targetType: 'token',
      targetId: record.id,
      detail: { prefix: record.prefix, ...detail },
    });
    tx.emit({ topic: 'tokens', action, id: record.id });
  }

  return {
    async create(input: ParsedInput<'tokens.create'>, actor: string): Promise<CreatedToken> {
      const now = clock.now();
      const expiresAt = expiryOf(input, now);
      const text = tokenFromRandom(deps.settings.get().token_prefix, randomBytes(32));
      const token = {
        id: randomUUID(),
        tokenHash: hashSecret(parseTokenOrThrow(text)),
        tokenSealed: deps.secretBox.seal(text),
        prefix: tokenRecognitionPrefix(text),
        description: input.description ?? '',
        labels: [...new Set(input.labels ?? [])],
        autoApprove: input.auto_approve ?? false,
        allowedCidrs: input.allowed_cidrs ?? [],
        expiresAt,
        maxUses: input.max_uses,
        createdAt: now,
        createdBy: actor,
      };
      const created = await deps.store.write(async (tx) => {
        await tx.tokens.insert(token);
        // Hosts registered with it are deleted after this long offline (ephemeral hosts).
        const ephemeral = input.ephemeral_offline_minutes ?? null;
        if (ephemeral !== null) await tx.expectedHosts.setTokenEphemeral(token.id, ephemeral);
        const record = await mustFind(tx, token.id);
        await audited(tx, actor, 'created', record, {
          description: token.description,
          expires_at: new Date(expiresAt).toISOString(),
          max_uses: token.maxUses,
          labels: token.labels,
          auto_approve: token.autoApprove,
          allowed_cidrs: token.allowedCidrs,
          ...(ephemeral !== null ? { ephemeral_offline_minutes: ephemeral } : {}),
        });
        return toApi(tx, record);
      });
      return { ...created, ...secretFor(text) };
    },

    async list(includeExpired: boolean): Promise<{ tokens: RegistrationToken[]; total_count: number }> {
      return deps.store.read(async (r) => {
        const records = await r.tokens.list({ includeExpired, now: clock.now() });
        const tokens = await Promise.all(records.map((t) => toApi(r, t, USED_BY_IN_LIST)));
        return { tokens, total_count: tokens.length };
      });
    },

    get(id: string): Promise<RegistrationToken> {
      return deps.store.read(async (r) => toApi(r, await mustFind(r, id)));
    },

    revoke(id: string, actor: string): Promise<RegistrationToken> {
      return deps.store.write(async (tx) => {
        const record = await mustFind(tx, id);
        if (record.revoked_at === null) {
          await tx.tokens.revoke(id, clock.now());
          await audited(tx, actor, 'revoked', record);
        }
        return toApi(tx, await mustFind(tx, id));
      });
    },

    async delete(id: string, actor: string): Promise<void> {
      await deps.store.write(async (tx) => {
        const record = await mustFind(tx, id);
        await tx.tokens.delete(id);
        await audited(tx, actor, 'deleted', record, { description: record.description, use_count: record.use_count });
      });
    },

    /** The token text again, only while it can still be used, from its sealed copy. */
    async reveal(id: string, actor: string): Promise<TokenSecret> {
      const outcome = await deps.store.write(async (tx) => {
        const record = await mustFind(tx, id);
        const text =
          tokenState(record, clock.now()) === 'active' && record.token_sealed ? openSealed(record.token_sealed) : null;
        if (text === null) {
          // Unusable or unreadable: the sealed copy has no reason to stay.
          if (record.token_sealed) await tx.tokens.dropSealedCopy(id);
          return { refused: record.token_sealed !== null && tokenState(record, clock.now()) === 'active' };
        }
        await deps.audit.record(tx, {
          actor,
          action: 'token.revealed',
          targetType: 'token',
          targetId: id,
          detail: { prefix: record.prefix },
        });
        return { text };
      });
      if (outcome.text !== undefined) return secretFor(outcome.text);
      throw new ApiError(
        'TOKEN_NOT_VALID',
        outcome.refused
          ? 'This token cannot be shown again: the key that sealed it was replaced. Create a new token.'
          : 'This token can no longer be used, so it cannot be shown again.',
      );
    },

    /**
     * A QR code of the join command (the default: it carries the pin, so nothing fetched
     * over the unauthenticated network can change what the technician runs) or of the
     * phone page's link.
     */
    async qr(
      id: string,
      format: 'svg' | 'png',
      content: 'command' | 'link',
      actor: string,
    ): Promise<{ content_type: string; data: string }> {
      const secret = await this.reveal(id, actor);
      const text = content === 'link' ? secret.join_url : secret.join_command;
      if (format === 'png') {
        const png = await QRCode.toBuffer(text, { type: 'png', errorCorrectionLevel: 'M', margin: 2, width: 768 });
        return { content_type: 'image/png', data: png.toString('base64') };
      }
      const svg = await QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
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
