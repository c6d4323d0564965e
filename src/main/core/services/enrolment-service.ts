import { createHash, randomUUID } from 'node:crypto';
import { ApiError } from '../../../shared/api/errors';
import type { RegisterHostInput } from '../../../shared/api/schemas';
import type { HostStatus } from '../../../shared/domain';
import type { Db } from '../db/connection';
import { writeTransaction } from '../db/connection';
import type { HostRecord, HostRepository } from '../repositories/host-repository';
import { iso } from '../repositories/json-column';
import type { IdempotencyRepository } from '../repositories/idempotency-repository';
import type { TokenRepository } from '../repositories/token-repository';
import { addressAllowed, normaliseAddress } from '../security/cidr';
import type { SecretBox } from '../security/secret-box';
import { hashSecret, newCredential, verificationCode } from '../security/secrets';
import type { AuditService } from './audit-service';
import type { Clock } from './clock';
import type { EventBus } from './event-bus';
import type { HeartbeatRecorder } from './heartbeat-recorder';
import type { TokenService } from './token-service';

export interface RegistrationResult {
  host_id: string;
  host_token: string;
  status: HostStatus;
  verification_code: string;
  replaces?: string;
}

export interface EnrolmentServiceDeps {
  db: Db;
  tokens: TokenRepository;
  tokenService: TokenService;
  hosts: HostRepository;
  idempotency: IdempotencyRepository;
  audit: AuditService;
  events: EventBus;
  clock: Clock;
  secretBox: SecretBox;
  heartbeats: HeartbeatRecorder;
}

/** How long an Idempotency-Key is remembered. */
const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;

const STATUS_REFUSAL: Partial<Record<HostStatus, ApiError>> = {
  PENDING: new ApiError('HOST_PENDING', 'This host is waiting for the admin to approve it.'),
  REJECTED: new ApiError('HOST_REJECTED', 'The admin rejected this host.'),
  DISABLED: new ApiError('HOST_DISABLED', 'The admin disabled this host.'),
};

/** The host-facing rules: registration, host credentials, heartbeats and rotation. */
export function createEnrolmentService(deps: EnrolmentServiceDeps) {
  const { clock } = deps;

  function requestHash(input: RegisterHostInput): Buffer {
    const canonical = JSON.stringify(input, Object.keys(input).sort());
    return createHash('sha256').update(canonical).digest();
  }

  function replay(key: string, input: RegisterHostInput): RegistrationResult | undefined {
    const record = deps.idempotency.find(key);
    if (!record || clock.now() - record.created_at > IDEMPOTENCY_TTL_MS) return undefined;
    if (!record.request_hash.equals(requestHash(input))) {
      throw new ApiError('VALIDATION_FAILED', 'This Idempotency-Key was already used with a different request body.');
    }
    try {
      return JSON.parse(deps.secretBox.open(record.response_sealed)) as RegistrationResult;
    } catch {
      // The sealing key was replaced since: the first answer is gone, and registering
      // again under this key would spend a second use. The host must start over.
      throw new ApiError(
        'CONFLICT',
        'The answer to this Idempotency-Key can no longer be read; register again with a new key.',
      );
    }
  }

  /**
   * The host this machine already is. An enrolled one (approved or disabled) is kept
   * alive and named in `replaces`; earlier unanswered or rejected requests of the
   * same machine are superseded, so the queue never holds duplicates.
   */
  function priorIdentity(machineId: string): { enrolled?: HostRecord; superseded: HostRecord[] } {
    const existing = deps.hosts.findByMachineId(machineId);
    const enrolled = existing.find((h) => h.status === 'APPROVED' || h.status === 'DISABLED');
    return { enrolled, superseded: existing.filter((h) => h !== enrolled) };
  }

  return {
    register(input: RegisterHostInput, source: string, idempotencyKey?: string): RegistrationResult {
      // Malformed text is refused before any database look-up.
      const tokenHash = deps.tokenService.hashOfTokenText(input.token);
      const address = normaliseAddress(source);
      const outcome = writeTransaction(
        deps.db,
        (): { result: RegistrationResult; replayed?: true } | { refusal: ApiError; tokenId?: string } => {
          // Inside the write lock, so two racing requests with one key cannot both register.
          const previous = idempotencyKey ? replay(idempotencyKey, input) : undefined;
          if (previous) return { result: previous, replayed: true };
          const now = clock.now();
          const token = deps.tokens.findByHash(tokenHash);
          if (!token) {
            return {
              refusal: new ApiError(
                'TOKEN_INVALID',
                'This registration token is not known here. Check it was copied from this Gatehouse.',
              ),
            };
          }
          try {
            deps.tokenService.assertUsable(token, now);
          } catch (refusal) {
            return { refusal: refusal as ApiError, tokenId: token.id };
          }
          if (!addressAllowed(address, token.allowed_cidrs)) {
            return {
              tokenId: token.id,
              refusal: new ApiError(
                'TOKEN_SOURCE_DENIED',
                `This token may not be used from ${address}; the admin limited it to other networks.`,
              ),
            };
          }
          if (!deps.tokens.claimUse(token.id, now)) {
            return {
              tokenId: token.id,
              refusal: new ApiError('TOKEN_EXHAUSTED', 'This registration token has no uses left.'),
            };
          }
          // Its last use taken, the token can never be shown again: forget the sealed copy now.
          if (token.max_uses > 0 && token.use_count + 1 >= token.max_uses) deps.tokens.dropSealedCopy(token.id);
          const { enrolled, superseded } = priorIdentity(input.machine_id);
          const hostId = randomUUID();
          for (const old of superseded) deps.hosts.retire(old.id, now, hostId);
          const replaces = enrolled?.id ?? superseded.find((h) => h.replaces)?.replaces ?? null;
          // A re-enrolment is never auto-approved: a clone must not knock a live host off.
          const status: HostStatus = token.auto_approve && !replaces ? 'APPROVED' : 'PENDING';
          const credential = newCredential('host');
          const code = verificationCode(credential);
          deps.hosts.insert({
            id: hostId,
            hostname: input.hostname,
            machineId: input.machine_id,
            status,
            remoteAddr: address,
            ips: input.ips ?? [],
            os: input.os ?? null,
            arch: input.arch ?? null,
            labels: [...new Set([...token.labels, ...(input.labels ?? [])])],
            tokenId: token.id,
            tokenPrefix: token.prefix,
            verificationCode: code,
            replaces,
            credentialHash: hashSecret(credential),
            registeredAt: now,
            decidedAt: status === 'APPROVED' ? now : null,
            decidedBy: status === 'APPROVED' ? `token:${token.prefix}` : null,
          });
          const result: RegistrationResult = {
            host_id: hostId,
            host_token: credential,
            status,
            verification_code: code,
            ...(replaces ? { replaces } : {}),
          };
          if (idempotencyKey) {
            deps.idempotency.insert({
              key: idempotencyKey,
              requestHash: requestHash(input),
              hostId,
              responseSealed: deps.secretBox.seal(JSON.stringify(result)),
              createdAt: now,
            });
          }
          deps.audit.record({
            actor: `host@${address}`,
            action: replaces
              ? 'host.reenrolment_requested'
              : status === 'APPROVED'
                ? 'host.auto_approved'
                : 'host.registered',
            targetType: 'host',
            targetId: hostId,
            detail: {
              hostname: input.hostname,
              machine_id: input.machine_id,
              token_prefix: token.prefix,
              ...(replaces ? { replaces } : {}),
              ...(superseded.length ? { superseded: superseded.map((h) => h.id) } : {}),
            },
          });
          return { result };
        },
      );
      if ('refusal' in outcome) {
        if (outcome.tokenId) {
          writeTransaction(deps.db, () => deps.tokens.recordFailure(outcome.tokenId!, address, clock.now()));
          deps.events.publish({ topic: 'tokens', action: 'failed_attempt', id: outcome.tokenId });
        }
        throw outcome.refusal;
      }
      if (outcome.replayed) return outcome.result;
      deps.events.publish({ topic: 'tokens', action: 'used' });
      deps.events.publish({ topic: 'hosts', action: 'registered', id: outcome.result.host_id });
      return outcome.result;
    },

    /**
     * Finds the host presenting this bearer credential. The first use of a rotated-to
     * credential promotes it and retires the old one (rotation without downtime).
     */
    authenticate(bearer: string | undefined): HostRecord {
      const match = bearer ? deps.hosts.findByCredentialHash(hashSecret(bearer)) : undefined;
      if (!match) throw new ApiError('UNAUTHORIZED', 'This host credential is not valid. Enrol the host again.');
      if (!match.current) writeTransaction(deps.db, () => deps.hosts.promoteNextCredential(match.host.id));
      return match.host;
    },

    /** What `GET /api/hosts/me` tells a host about itself. */
    describe(host: HostRecord) {
      return {
        host_id: host.id,
        hostname: host.hostname,
        status: host.status,
        labels: host.labels,
        verification_code: host.verification_code,
        reject_reason: host.reject_reason,
        decided_at: iso(host.decided_at),
      };
    },

    assertActive(host: HostRecord): void {
      const refusal = STATUS_REFUSAL[host.status];
      if (refusal) {
        throw host.status === 'REJECTED' && host.reject_reason
          ? new ApiError('HOST_REJECTED', `The admin rejected this host: ${host.reject_reason}`)
          : refusal;
      }
    },

    heartbeat(host: HostRecord): void {
      this.assertActive(host);
      const first = host.last_seen_at === null && deps.heartbeats.lastSeen(host.id, null) === null;
      deps.heartbeats.record(host.id, clock.now());
      // The first beat turns NEVER into ONLINE: worth an immediate write and event.
      if (first) {
        deps.heartbeats.flush();
        deps.events.publish({ topic: 'hosts', action: 'online', id: host.id });
      }
    },

    rotate(host: HostRecord): { host_token: string } {
      this.assertActive(host);
      const credential = newCredential('host');
      writeTransaction(deps.db, () => {
        deps.hosts.setNextCredential(host.id, hashSecret(credential));
        deps.audit.record({
          actor: `host@${host.hostname}`,
          action: 'host.credential_rotated',
          targetType: 'host',
          targetId: host.id,
          detail: { hostname: host.hostname },
        });
      });
      return { host_token: credential };
    },

    /** Drops idempotency records past their lifetime and sealed copies of tokens that expired. */
    sweep(): void {
      writeTransaction(deps.db, () => {
        deps.idempotency.deleteOlderThan(clock.now() - IDEMPOTENCY_TTL_MS);
        deps.tokens.dropUnusableSealedCopies(clock.now());
      });
    },
  };
}

export type EnrolmentService = ReturnType<typeof createEnrolmentService>;
