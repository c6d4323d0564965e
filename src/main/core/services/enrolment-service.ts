import { createHash, randomUUID } from 'node:crypto';
import { ApiError } from '../../../shared/api/errors';
import type { RegisterHostInput } from '../../../shared/api/schemas';
import type { HostAlarm, HostStatus } from '../../../shared/domain';
import { iso } from '../repositories/json-column';
import type { HostRecord, TokenRecord } from '../store/repositories';
import type { Store, UnitOfWork } from '../store/store';
import { addressAllowed, normaliseAddress } from '../security/cidr';
import type { SecretBox } from '../security/secret-box';
import { hashSecret, newCredential, verificationCode } from '../security/secrets';
import type { ApprovalRuleService } from './approval-rule-service';
import type { AuditService } from './audit-service';
import type { Clock } from './clock';
import type { CachedHost, CredentialCache } from './credential-cache';
import { matchOf, type ExpectedHostService, type ExpectedOutcome } from './expected-host-service';
import type { Metrics } from '../metrics';
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
  store: Store;
  tokenService: TokenService;
  audit: AuditService;
  clock: Clock;
  secretBox: SecretBox;
  heartbeats: HeartbeatRecorder;
  credentials: CredentialCache;
  expected: ExpectedHostService;
  rules: ApprovalRuleService;
  metrics?: Pick<Metrics, 'countRegistration' | 'countTokenUse'>;
}

/** One credential seen from A, then B, then A again within this long: two machines share it. */
export const CREDENTIAL_REUSE_WINDOW_MS = 10 * 60_000;

/** How long an Idempotency-Key is remembered. */
const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;

const STATUS_REFUSAL: Partial<Record<HostStatus, ApiError>> = {
  PENDING: new ApiError('HOST_PENDING', 'This host is waiting for the admin to approve it.'),
  REJECTED: new ApiError('HOST_REJECTED', 'The admin rejected this host.'),
  DISABLED: new ApiError('HOST_DISABLED', 'The admin disabled this host.'),
};

const UNKNOWN_TOKEN = new ApiError(
  'TOKEN_INVALID',
  'This registration token is not known here. Check it was copied from this Gatehouse.',
);

/** An enrolled host: approved, disabled, or rejected after it had been approved. */
const isEnrolled = (h: HostRecord) =>
  h.status === 'APPROVED' || h.status === 'DISABLED' || (h.status === 'REJECTED' && h.ever_approved);

/** Who this machine already is, by machine id and by the hardware it reports. */
interface Identity {
  /** The enrolled host this request would replace. */
  enrolled?: HostRecord;
  /** Other pending requests for this machine: both stay, flagged as a conflict. */
  rivals: HostRecord[];
  /** Earlier requests of this machine that were rejected before ever being approved: superseded. */
  superseded: HostRecord[];
}

type Outcome = { result: RegistrationResult; replayed?: true } | { refusal: ApiError };

/** Who approved a request by itself, as recorded in `decided_by` and the audit entry. */
interface SelfApproval {
  by: string;
  detail: Record<string, unknown>;
}

/** The source addresses a host credential was last seen from, one entry per change of address. */
type SourceRuns = { address: string; at: number }[];

/** The host-facing rules: registration, host credentials, heartbeats and rotation. */
export function createEnrolmentService(deps: EnrolmentServiceDeps) {
  const { clock, store } = deps;

  function requestHash(input: RegisterHostInput): Buffer {
    const canonical = JSON.stringify(input, Object.keys(input).sort());
    return createHash('sha256').update(canonical).digest();
  }

  async function replay(
    tx: UnitOfWork,
    key: string,
    input: RegisterHostInput,
  ): Promise<RegistrationResult | undefined> {
    const record = await tx.idempotency.find(key);
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

  /** Step 1: the token admits this request (exists, usable, from an allowed network, a use left). */
  async function admit(tx: UnitOfWork, tokenHash: Buffer, address: string): Promise<TokenRecord | ApiError> {
    const token = await tx.tokens.findByHash(tokenHash);
    if (!token) return UNKNOWN_TOKEN;
    const now = clock.now();
    let refusal: ApiError | undefined;
    try {
      deps.tokenService.assertUsable(token, now);
    } catch (error) {
      refusal = error as ApiError;
    }
    if (!refusal && !addressAllowed(address, token.allowed_cidrs)) {
      refusal = new ApiError(
        'TOKEN_SOURCE_DENIED',
        `This token may not be used from ${address}; the admin limited it to other networks.`,
      );
    }
    if (!refusal && !(await tx.tokens.claimUse(token.id, now))) {
      refusal = new ApiError('TOKEN_EXHAUSTED', 'This registration token has no uses left.');
    }
    if (refusal) {
      await tx.tokens.recordFailure(token.id, address, now);
      tx.emit({ topic: 'tokens', action: 'failed_attempt', id: token.id });
      if (token.max_uses === 1 && token.use_count >= 1) await tokenReplayed(tx, token, address);
      return refusal;
    }
    const exhausted = token.max_uses > 0 && token.use_count + 1 >= token.max_uses;
    // Its last use taken, the token can never be shown again: forget the sealed copy now.
    if (exhausted) await tx.tokens.dropSealedCopy(token.id);
    tx.emit({ topic: 'tokens', action: exhausted ? 'exhausted' : 'used', id: token.id });
    return token;
  }

  /**
   * A single-use token presented again after its use: it was copied, so whichever host
   * used it first may not be the one it was meant for. The hosts that used it are
   * flagged for a second look.
   */
  async function tokenReplayed(tx: UnitOfWork, token: TokenRecord, address: string): Promise<void> {
    const users = await tx.tokens.usedByNodes(token.id, 10);
    for (const user of users) {
      const host = await tx.hosts.findById(user.host_id);
      if (host && host.alarm === null) await tx.hosts.setAlarm(host.id, 'token_replay');
    }
    await deps.audit.record(tx, {
      actor: `host@${address}`,
      action: 'alarm.token_replay',
      targetType: 'token',
      targetId: token.id,
      detail: { prefix: token.prefix, source: address, used_by: users.map((u) => u.host_id) },
    });
    tx.emit({ topic: 'tokens', action: 'alarm', id: token.id });
    tx.emit({ topic: 'hosts', action: 'alarm', ...(users.length ? { ids: users.map((u) => u.host_id) } : {}) });
  }

  /**
   * Whether this request approves itself: never a re-enrolment, a rival or an alarmed
   * request; otherwise its expected row (once, if imported with auto_approve), its
   * token (auto_approve), or the first approval rule that matches and has room.
   */
  async function selfApproval(
    tx: UnitOfWork,
    request: { input: RegisterHostInput; token: TokenRecord; address: string; labels: string[] },
    expected: ExpectedOutcome,
    blocked: boolean,
  ): Promise<SelfApproval | undefined> {
    if (blocked) return undefined;
    const { token } = request;
    if (expected.kind === 'match' && expected.row.auto_approve) {
      return { by: `expected:${expected.row.id}`, detail: { expected_row: expected.row.id } };
    }
    if (token.auto_approve) return { by: `token:${token.prefix}`, detail: {} };
    const rule = await deps.rules.approving(tx, {
      facts: request.input.facts ?? null,
      labels: request.labels,
      tokenId: token.id,
      address: request.address,
    });
    return rule && { by: `rule:${rule.name}`, detail: { rule_id: rule.id, rule_name: rule.name } };
  }

  /** Step 2: who this machine already is. */
  async function identify(tx: UnitOfWork, input: RegisterHostInput): Promise<Identity> {
    const byMachine = await tx.hosts.findByMachineId(input.machine_id);
    // A reinstall regenerates /etc/machine-id; the firmware's UUID and serial stay.
    const byHardware = await tx.hosts.findByHardware({
      systemUuid: input.facts?.system_uuid,
      serial: input.facts?.serial,
    });
    return {
      enrolled: byMachine.find(isEnrolled) ?? byHardware.find(isEnrolled),
      rivals: byMachine.filter((h) => h.status === 'PENDING'),
      superseded: byMachine.filter((h) => h.status === 'REJECTED' && !h.ever_approved),
    };
  }

  /** Step 3: the new request, PENDING unless the token auto-approves a first, unrivalled enrolment. */
  async function enrol(
    tx: UnitOfWork,
    input: RegisterHostInput,
    token: TokenRecord,
    address: string,
    identity: Identity,
  ): Promise<RegistrationResult> {
    const now = clock.now();
    const hostId = randomUUID();
    for (const old of identity.superseded) await tx.hosts.retire(old.id, now, hostId);
    const replaces = identity.enrolled?.id ?? identity.rivals.find((h) => h.replaces)?.replaces ?? null;
    const conflict = identity.rivals.length > 0;
    if (conflict)
      await tx.hosts.setConflict(
        identity.rivals.map((h) => h.id),
        true,
      );
    const expected = await deps.expected.match(tx, {
      tokenId: token.id,
      facts: input.facts,
      enrolled: identity.enrolled,
    });
    const row = expected.kind === 'match' || expected.kind === 'reenrolment' ? expected.row : undefined;
    const alarm: HostAlarm | null = expected.kind === 'clone' ? 'clone' : null;
    // The row names the machine: its hostname and labels win over what the host reports.
    const hostname = row?.hostname ?? input.hostname;
    const labels = [...new Set([...token.labels, ...(input.labels ?? []), ...(row?.labels ?? [])])];
    // A re-enrolment, a rival or a clone is never approved by itself: a copy must not knock a live host off.
    const approval = await selfApproval(
      tx,
      { input, token, address, labels },
      expected,
      Boolean(replaces) || conflict || alarm !== null,
    );
    const status: HostStatus = approval ? 'APPROVED' : 'PENDING';
    const credential = newCredential('host');
    const code = verificationCode(credential);
    await tx.hosts.insert({
      id: hostId,
      hostname,
      machineId: input.machine_id,
      status,
      remoteAddr: address,
      ips: input.ips ?? [],
      os: input.os ?? null,
      arch: input.arch ?? null,
      labels,
      facts: input.facts ?? null,
      tokenId: token.id,
      tokenPrefix: token.prefix,
      verificationCode: code,
      replaces,
      conflict,
      expected: expected.kind === 'clone' ? matchOf(expected.row) : row ? matchOf(row) : null,
      alarm,
      credentialHash: hashSecret(credential),
      registeredAt: now,
      decidedAt: approval ? now : null,
      decidedBy: approval?.by ?? null,
    });
    if (approval && row) await deps.expected.claim(tx, row.id, hostId);
    const ephemeral = token.ephemeral_offline_minutes;
    if (ephemeral !== null) await tx.expectedHosts.setHostEphemeral(hostId, ephemeral);
    await deps.audit.record(tx, {
      actor: `host@${address}`,
      action: replaces
        ? 'host.reenrolment_requested'
        : status === 'APPROVED'
          ? 'host.auto_approved'
          : 'host.registered',
      targetType: 'host',
      targetId: hostId,
      detail: {
        hostname,
        ...(hostname !== input.hostname ? { reported_hostname: input.hostname } : {}),
        machine_id: input.machine_id,
        token_prefix: token.prefix,
        ...(approval ? { approved_by: approval.by, ...approval.detail } : {}),
        ...(row && !approval ? { expected_row: row.id } : {}),
        ...(expected.kind === 'ambiguous' ? { expected_ambiguous: expected.rowIds } : {}),
        ...(ephemeral !== null ? { ephemeral_offline_minutes: ephemeral } : {}),
        ...(replaces ? { replaces } : {}),
        ...(conflict ? { conflict_with: identity.rivals.map((h) => h.id) } : {}),
        ...(identity.superseded.length ? { superseded: identity.superseded.map((h) => h.id) } : {}),
      },
    });
    tx.emit({ topic: 'hosts', action: 'registered', ids: [hostId, ...identity.rivals.map((h) => h.id)] });
    if (expected.kind === 'clone') {
      await deps.audit.record(tx, {
        actor: `host@${address}`,
        action: 'alarm.clone',
        targetType: 'host',
        targetId: hostId,
        detail: {
          hostname,
          machine_id: input.machine_id,
          expected_row: expected.row.id,
          expected_hostname: expected.row.hostname,
          claimed_by: expected.claimedBy,
          source: address,
        },
      });
      tx.emit({ topic: 'hosts', action: 'alarm', id: hostId });
    }
    return {
      host_id: hostId,
      host_token: credential,
      status,
      verification_code: code,
      ...(replaces ? { replaces } : {}),
    };
  }

  const sourceRuns = new Map<string, SourceRuns>();

  /**
   * Notes where a credential was used from; true when it went A → B → A within the
   * window: two machines taking turns with one credential, not a host that moved.
   */
  function sharedFromTwoPlaces(hostId: string, address: string, now: number): boolean {
    const runs = sourceRuns.get(hostId) ?? [];
    const last = runs.at(-1);
    if (last?.address === address) {
      last.at = now;
      return false;
    }
    runs.push({ address, at: now });
    if (runs.length > 3) runs.shift();
    sourceRuns.set(hostId, runs);
    const [a, , c] = runs;
    return runs.length === 3 && a!.address === c!.address && c!.at - a!.at <= CREDENTIAL_REUSE_WINDOW_MS;
  }

  async function raiseCredentialReuse(host: CachedHost, addresses: string[]): Promise<void> {
    await store.write(async (tx) => {
      const record = await tx.hosts.findById(host.id);
      if (!record || record.alarm === 'credential_reuse') return;
      await tx.hosts.setAlarm(host.id, 'credential_reuse');
      await deps.audit.record(tx, {
        actor: `host@${addresses.at(-1)}`,
        action: 'alarm.credential_reuse',
        targetType: 'host',
        targetId: host.id,
        detail: { hostname: record.hostname, sources: addresses },
      });
      tx.emit({ topic: 'hosts', action: 'alarm', id: host.id });
    });
  }

  async function lookUpCredential(hash: Buffer): Promise<CachedHost | undefined> {
    const cached = deps.credentials.get(hash);
    if (cached) return cached;
    const match = await store.read((r) => r.hosts.findByCredentialHash(hash));
    if (!match) return undefined;
    deps.credentials.set(hash, match.host, match.current);
    return deps.credentials.get(hash);
  }

  return {
    /** admit → identify → enrol, in one unit of work; a refusal is recorded against its token in the same unit. */
    async register(input: RegisterHostInput, source: string, idempotencyKey?: string): Promise<RegistrationResult> {
      // Malformed text is refused before any database look-up.
      const tokenHash = deps.tokenService.hashOfTokenText(input.token);
      const address = normaliseAddress(source);
      const outcome = await store.write(async (tx): Promise<Outcome> => {
        // Inside the write transaction, so two racing requests with one key cannot both register.
        const previous = idempotencyKey ? await replay(tx, idempotencyKey, input) : undefined;
        if (previous) return { result: previous, replayed: true };
        const token = await admit(tx, tokenHash, address);
        if (token instanceof ApiError) return { refusal: token };
        const result = await enrol(tx, input, token, address, await identify(tx, input));
        if (idempotencyKey) {
          await tx.idempotency.insert({
            key: idempotencyKey,
            requestHash: requestHash(input),
            hostId: result.host_id,
            responseSealed: deps.secretBox.seal(JSON.stringify(result)),
            createdAt: clock.now(),
          });
        }
        return { result };
      });
      if ('refusal' in outcome) throw outcome.refusal;
      // Counted here, on the server that answered: the event bus also carries other servers' events.
      deps.metrics?.countRegistration(outcome.replayed ? 'replayed' : 'created');
      if (!outcome.replayed) deps.metrics?.countTokenUse();
      return outcome.result;
    },

    /**
     * Finds the host presenting this bearer credential (from memory when it can). The
     * first use of a rotated-to credential promotes it and retires the old one
     * (rotation without downtime).
     */
    async authenticate(bearer: string | undefined): Promise<CachedHost> {
      const hash = bearer ? hashSecret(bearer) : undefined;
      const host = hash && (await lookUpCredential(hash));
      if (!host) throw new ApiError('UNAUTHORIZED', 'This host credential is not valid. Enrol the host again.');
      if (!host.current) {
        await store.write(async (tx) => {
          await tx.hosts.promoteNextCredential(host.id);
          tx.emit({ topic: 'hosts', action: 'credential_promoted', id: host.id });
        });
        return { ...host, current: true };
      }
      return host;
    },

    /** What `GET /api/hosts/me` tells a host about itself. */
    async describe(host: CachedHost) {
      const record = await store.read((r) => r.hosts.findById(host.id));
      if (!record) throw new ApiError('UNAUTHORIZED', 'This host credential is not valid. Enrol the host again.');
      return {
        host_id: record.id,
        hostname: record.hostname,
        status: record.status,
        labels: record.labels,
        verification_code: record.verification_code,
        reject_reason: record.reject_reason,
        decided_at: iso(record.decided_at),
        replaced_by: record.replaced_by,
      };
    },

    assertActive(host: Pick<CachedHost, 'status' | 'reject_reason'>): void {
      const refusal = STATUS_REFUSAL[host.status];
      if (refusal) {
        throw host.status === 'REJECTED' && host.reject_reason
          ? new ApiError('HOST_REJECTED', `The admin rejected this host: ${host.reject_reason}`)
          : refusal;
      }
    },

    /**
     * Notes the beat in memory; the first one (NEVER → ONLINE) is written at once. With
     * the source address, a credential taking turns between two addresses raises the
     * `credential_reuse` alarm.
     */
    async heartbeat(host: CachedHost, source?: string): Promise<void> {
      this.assertActive(host);
      const now = clock.now();
      if (source !== undefined) {
        const address = normaliseAddress(source);
        if (sharedFromTwoPlaces(host.id, address, now)) {
          await raiseCredentialReuse(
            host,
            sourceRuns.get(host.id)!.map((r) => r.address),
          );
        }
      }
      const first = host.last_seen_at === null && deps.heartbeats.lastSeen(host.id, null) === null;
      deps.heartbeats.record(host.id, now);
      // The cached entry is the one the next beat will find: it is no longer a first beat.
      host.last_seen_at = now;
      // NEVER → ONLINE is worth writing now, but the host need not wait for it: a busy
      // store must not slow its answer (a failed flush keeps the beat for the next one).
      if (first) void deps.heartbeats.flush().catch(() => 0);
    },

    async rotate(host: CachedHost): Promise<{ host_token: string }> {
      this.assertActive(host);
      const credential = newCredential('host');
      await store.write(async (tx) => {
        await tx.hosts.setNextCredential(host.id, hashSecret(credential));
        await deps.audit.record(tx, {
          actor: `host@${host.hostname}`,
          action: 'host.credential_rotated',
          targetType: 'host',
          targetId: host.id,
          detail: { hostname: host.hostname },
        });
        tx.emit({ topic: 'hosts', action: 'credential_rotated', id: host.id });
      });
      return { host_token: credential };
    },

    /** Drops idempotency records past their lifetime and sealed copies of tokens that expired. */
    async sweep(): Promise<void> {
      await store.write(async (tx) => {
        await tx.idempotency.deleteOlderThan(clock.now() - IDEMPOTENCY_TTL_MS);
        await tx.tokens.dropUnusableSealedCopies(clock.now());
      });
    },
  };
}

export type EnrolmentService = ReturnType<typeof createEnrolmentService>;
