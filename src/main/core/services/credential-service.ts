import { randomUUID } from 'node:crypto';
import { ApiError } from '../../../shared/api/errors';
import type { ParsedInput } from '../../../shared/api/operations';
import type { Scope } from '../../../shared/api/scopes';
import type { AdminCredential, CreatedCredential } from '../../../shared/domain';
import { iso } from '../repositories/json-column';
import type { CredentialRecord } from '../store/repositories';
import type { Store } from '../store/store';
import { hashSecret, newCredential } from '../security/secrets';
import type { AuditService } from './audit-service';
import type { Clock } from './clock';

/** Who a verified admin credential is: its name is the audit actor, its scope what it may do. */
export interface AdminIdentity {
  actor: string;
  scope: Scope;
}

/** `last_used_at` is written at most this often per credential, not on every call. */
const TOUCH_EVERY_MS = 60_000;

const toApi = (r: CredentialRecord): AdminCredential => ({
  id: r.id,
  name: r.name,
  scope: r.scope,
  prefix: r.prefix,
  created_at: iso(r.created_at)!,
  created_by: r.created_by,
  expires_at: iso(r.expires_at),
  revoked_at: iso(r.revoked_at),
  last_used_at: iso(r.last_used_at),
});

/**
 * Named admin credentials with scopes, for scripts, automation and remote admins: made
 * and revoked by an admin, shown once, stored as hashes, each audited as its own actor.
 */
export function createCredentialService(deps: { store: Store; audit: AuditService; clock: Clock }) {
  const { store, clock } = deps;
  const touched = new Map<string, number>();

  return {
    async create(input: ParsedInput<'credentials.create'>, actor: string): Promise<CreatedCredential> {
      const now = clock.now();
      const expiresAt = input.expires_at ? Date.parse(input.expires_at) : null;
      if (expiresAt !== null && expiresAt <= now) {
        throw new ApiError('VALIDATION_FAILED', 'expires_at must be in the future.', [
          { path: 'expires_at', message: 'must be in the future' },
        ]);
      }
      const credential = newCredential('admin');
      const record: CredentialRecord = {
        id: randomUUID(),
        name: input.name,
        scope: input.scope,
        prefix: credential.slice(0, 10),
        created_at: now,
        created_by: actor,
        expires_at: expiresAt,
        revoked_at: null,
        last_used_at: null,
      };
      await store.write(async (tx) => {
        if (await tx.credentials.findByName(input.name)) {
          throw new ApiError('CONFLICT', `A credential named "${input.name}" exists already; pick another name.`);
        }
        await tx.credentials.insert({ ...record, credentialHash: hashSecret(credential) });
        await deps.audit.record(tx, {
          actor,
          action: 'credential.created',
          targetType: 'credential',
          targetId: record.id,
          detail: { name: record.name, scope: record.scope, expires_at: iso(expiresAt) },
        });
      });
      return { ...toApi(record), credential };
    },

    async list(): Promise<{ credentials: AdminCredential[] }> {
      return { credentials: (await store.read((r) => r.credentials.list())).map(toApi) };
    },

    async revoke(id: string, actor: string): Promise<void> {
      await store.write(async (tx) => {
        const record = (await tx.credentials.list()).find((c) => c.id === id);
        if (!record) throw new ApiError('NOT_FOUND', 'No admin credential has that id.');
        if (!(await tx.credentials.revoke(id, clock.now()))) return;
        await deps.audit.record(tx, {
          actor,
          action: 'credential.revoked',
          targetType: 'credential',
          targetId: id,
          detail: { name: record.name, scope: record.scope },
        });
      });
    },

    /** The identity behind a bearer secret, or undefined if it is unknown, revoked or expired. */
    async verify(secret: string): Promise<AdminIdentity | undefined> {
      if (!secret.startsWith('gha_')) return undefined;
      const record = await store.read((r) => r.credentials.findByHash(hashSecret(secret)));
      const now = clock.now();
      if (!record || record.revoked_at !== null || (record.expires_at !== null && record.expires_at <= now)) {
        return undefined;
      }
      if (now - (touched.get(record.id) ?? 0) >= TOUCH_EVERY_MS) {
        touched.set(record.id, now);
        // Best effort: a busy store must not refuse an otherwise valid call.
        await store.write((tx) => tx.credentials.touch(record.id, now)).catch(() => {});
      }
      return { actor: record.name, scope: record.scope };
    },
  };
}

export type CredentialService = ReturnType<typeof createCredentialService>;
