import { randomUUID } from 'node:crypto';
import { ApiError } from '../../../shared/api/errors';
import { connectivityOf } from '../../../shared/connectivity';
import type { BulkResult, Host, HostCountsView, HostStatus } from '../../../shared/domain';
import type { ParsedInput } from '../../../shared/api/operations';
import { iso } from '../repositories/json-column';
import type { HostSnapshot } from '../metrics';
import type { HostRecord, HostSortKey } from '../store/repositories';
import type { Repositories, Store, UnitOfWork } from '../store/store';
import type { AuditService } from './audit-service';
import type { Clock } from './clock';
import type { ExpectedHostService } from './expected-host-service';
import type { HeartbeatRecorder } from './heartbeat-recorder';
import { decodeCursor, encodeCursor } from './host-cursor';
import type { SettingsService } from './settings-service';

export type Decision = 'approve' | 'reject' | 'disable' | 'enable';

/** Which statuses each decision may start from, and where it leads. */
const TRANSITIONS: Record<Decision, { from: HostStatus[]; to: HostStatus; verb: string }> = {
  approve: { from: ['PENDING', 'REJECTED'], to: 'APPROVED', verb: 'approved' },
  reject: { from: ['PENDING', 'APPROVED'], to: 'REJECTED', verb: 'rejected' },
  disable: { from: ['APPROVED'], to: 'DISABLED', verb: 'disabled' },
  enable: { from: ['DISABLED'], to: 'APPROVED', verb: 'enabled' },
};

/** A bulk action names at most this many hosts (ids or a filter). */
export const BULK_LIMIT = 5_000;

export interface HostServiceDeps {
  store: Store;
  audit: AuditService;
  settings: SettingsService;
  clock: Clock;
  heartbeats: HeartbeatRecorder;
  expected: ExpectedHostService;
}

/** The actor of what Gatehouse does by itself (stale-host jobs). */
export const SYSTEM_ACTOR = 'gatehouse';
const DAY = 86_400_000;
/** One sweep handles at most this many stale hosts; the next sweep takes the rest. */
const SWEEP_LIMIT = 1_000;

/** The approval queue, the hosts table and the admin's decisions about hosts. */
export function createHostService(deps: HostServiceDeps) {
  const { clock } = deps;
  const threshold = () => deps.settings.get().offline_threshold_seconds * 1000;

  function toApi(record: HostRecord, now = clock.now()): Host {
    const lastSeen = deps.heartbeats.lastSeen(record.id, record.last_seen_at);
    return {
      id: record.id,
      hostname: record.hostname,
      machine_id: record.machine_id,
      status: record.status,
      connectivity: connectivityOf(lastSeen, now, deps.settings.get().offline_threshold_seconds),
      remote_addr: record.remote_addr,
      ips: record.ips,
      os: record.os,
      arch: record.arch,
      labels: record.labels,
      facts: record.facts,
      token_id: record.token_id,
      token_prefix: record.token_prefix,
      verification_code: record.verification_code,
      replaces: record.replaces,
      replaces_hostname: record.replaces_hostname,
      replaced_by: record.replaced_by,
      conflict: record.conflict,
      expected: record.expected,
      alarm: record.alarm,
      registered_at: iso(record.registered_at)!,
      decided_at: iso(record.decided_at),
      decided_by: record.decided_by,
      reject_reason: record.reject_reason,
      last_seen_at: iso(lastSeen),
    };
  }

  async function mustFind(repos: Repositories, id: string): Promise<HostRecord> {
    const record = await repos.hosts.findById(id);
    if (!record) throw new ApiError('NOT_FOUND', 'No host has that id. It may have been deleted.');
    return record;
  }

  /**
   * Approving one request of a machine retires what it replaces: the old enrolled
   * host (a re-enrolment) and any rival pending request (a conflict).
   */
  async function retireRivals(tx: UnitOfWork, approved: HostRecord, now: number): Promise<string[]> {
    const rivals = (await tx.hosts.findByMachineId(approved.machine_id)).filter(
      (h) => h.id !== approved.id && (h.status === 'PENDING' || h.id === approved.replaces),
    );
    if (approved.replaces && !rivals.some((h) => h.id === approved.replaces)) {
      const old = await tx.hosts.findById(approved.replaces);
      if (old && old.retired_at === null) rivals.push(old);
    }
    for (const rival of rivals) {
      await tx.hosts.retire(rival.id, now, approved.id);
      deps.heartbeats.forget(rival.id);
    }
    if (approved.conflict) await tx.hosts.setConflict([approved.id], false);
    return rivals.map((h) => h.id);
  }

  /** Applies one decision inside the caller's unit of work. */
  async function applyDecision(
    tx: UnitOfWork,
    id: string,
    decision: Decision,
    actor: string,
    options: { reason?: string; batchId?: string; note?: Record<string, unknown> } = {},
  ): Promise<HostRecord> {
    const record = await mustFind(tx, id);
    if (record.retired_at !== null) {
      throw new ApiError('CONFLICT', `${record.hostname} was replaced by a re-enrolment and can no longer change.`);
    }
    const rule = TRANSITIONS[decision];
    if (record.status === rule.to) return record;
    if (!rule.from.includes(record.status)) {
      throw new ApiError(
        'CONFLICT',
        `${record.hostname} is ${record.status.toLowerCase()}; it cannot be ${rule.verb} from there.`,
      );
    }
    if (decision === 'approve' && record.expected) {
      // Checked before anything changes: a refusal inside a bulk action must leave no trace.
      const holder = await deps.expected.heldElsewhere(
        tx,
        record.expected.row_id,
        id,
        record.replaces ? [record.replaces] : [],
      );
      if (holder) {
        throw new ApiError(
          'CONFLICT',
          `${record.hostname} matches expected host ${record.expected.hostname}, which ${holder.hostname} already is: ` +
            `this request may be a clone. Reject it, or delete ${holder.hostname} first.`,
        );
      }
    }
    const now = clock.now();
    await tx.hosts.setStatus(id, rule.to, now, actor, decision === 'reject' ? (options.reason ?? null) : null);
    const detail: Record<string, unknown> = {
      hostname: record.hostname,
      from: record.status,
      to: rule.to,
      ...options.note,
    };
    if (decision === 'reject' && options.reason) detail.reason = options.reason;
    if (decision === 'approve') {
      const retired = await retireRivals(tx, record, now);
      if (retired.length) detail.retired = retired;
      if (record.expected) {
        detail.expected_row = record.expected.row_id;
        await deps.expected.claim(tx, record.expected.row_id, id);
      }
    }
    await deps.audit.record(tx, {
      actor,
      action: `host.${rule.verb}`,
      targetType: 'host',
      targetId: id,
      batchId: options.batchId,
      detail,
    });
    return mustFind(tx, id);
  }

  async function deleteOne(
    tx: UnitOfWork,
    id: string,
    actor: string,
    batchId?: string,
    note: Record<string, unknown> = {},
  ): Promise<void> {
    const record = await mustFind(tx, id);
    await tx.hosts.delete(id);
    await deps.audit.record(tx, {
      actor,
      action: 'host.deleted',
      targetType: 'host',
      targetId: id,
      batchId,
      detail: { hostname: record.hostname, machine_id: record.machine_id, status: record.status, ...note },
    });
  }

  /** The most recent sign of life: a heartbeat not yet flushed counts. */
  const lastHeard = (id: string, stored: number | null) => deps.heartbeats.lastSeen(id, stored);

  async function idsOf(input: ParsedInput<'hosts.bulk'>): Promise<string[]> {
    if (input.ids) return [...new Set(input.ids)];
    const filter = input.filter!;
    return deps.store.read((r) =>
      r.hosts.idsWhere(
        { status: filter.status, tokenId: filter.token_id, expectedOnly: filter.expected_only },
        BULK_LIMIT,
      ),
    );
  }

  return {
    toApi,

    /** One page of hosts in a stable order, with the total that matches the filter. */
    async list(
      input: ParsedInput<'hosts.list'>,
    ): Promise<{ hosts: Host[]; next_cursor: string | null; total_count: number }> {
      const now = clock.now();
      const [sortKey, descending] = parseSort(input.sort);
      const limit = input.limit ?? 100;
      const after = input.cursor ? decodeCursor(input.cursor) : undefined;
      const { hosts, total } = await deps.store.read((r) =>
        r.hosts.query({
          status: input.status,
          connectivity: input.connectivity,
          terms: input.q?.split(/\s+/).filter(Boolean),
          tokenId: input.token_id,
          label: input.label,
          expectedOnly: input.expected_only,
          ids: input.ids,
          sort: sortKey,
          descending,
          after,
          limit: limit + 1,
          onlineSince: now - threshold(),
        }),
      );
      const page = hosts.slice(0, limit);
      const last = page.at(-1);
      return {
        hosts: page.map((h) => toApi(h, now)),
        next_cursor: hosts.length > limit && last ? encodeCursor(last, sortKey) : null,
        total_count: total,
      };
    },

    /** How many hosts there are in each status, and how many approved ones are online. */
    async counts(): Promise<HostCountsView> {
      const c = await deps.store.read((r) => r.hosts.counts(clock.now() - threshold()));
      return { by_status: c.byStatus, by_connectivity: c.byConnectivity, total: c.total };
    },

    /** What the Prometheus host gauges show at a scrape. */
    async snapshot(): Promise<HostSnapshot> {
      const now = clock.now();
      const c = await deps.store.read((r) => r.hosts.counts(now - threshold()));
      return {
        byStatus: c.byStatus,
        byConnectivity: c.byConnectivity,
        pending: c.byStatus.PENDING,
        oldestHeartbeatAgeSeconds: c.oldestOnlineSeenAt === null ? null : (now - c.oldestOnlineSeenAt) / 1000,
      };
    },

    get(id: string): Promise<Host> {
      return deps.store.read(async (r) => toApi(await mustFind(r, id)));
    },

    async decide(id: string, decision: Decision, actor: string, reason?: string): Promise<Host> {
      const record = await deps.store.write(async (tx) => {
        const decided = await applyDecision(tx, id, decision, actor, { reason });
        tx.emit({ topic: 'hosts', action: decision, id });
        return decided;
      });
      return toApi(record);
    },

    /**
     * One decision for many hosts, named by id or by a filter, in one unit of work:
     * one commit for five thousand approvals, one batch id linking their audit entries.
     */
    async bulk(input: ParsedInput<'hosts.bulk'>, actor: string): Promise<BulkResult> {
      const ids = await idsOf(input);
      const batchId = randomUUID();
      const results = await deps.store.write(async (tx) => {
        const out: BulkResult['results'] = [];
        for (const id of ids) {
          try {
            if (input.action === 'delete') {
              await deleteOne(tx, id, actor, batchId);
              out.push({ id, ok: true });
            } else {
              const record = await applyDecision(tx, id, input.action, actor, { reason: input.reason, batchId });
              out.push({ id, ok: true, status: record.status });
            }
          } catch (error) {
            if (!(error instanceof ApiError)) throw error;
            out.push({ id, ok: false, error: { code: error.code, message: error.message } });
          }
        }
        tx.emit({ topic: 'hosts', action: `bulk.${input.action}`, ids: out.filter((r) => r.ok).map((r) => r.id) });
        return out;
      });
      if (input.action === 'delete') for (const r of results) if (r.ok) deps.heartbeats.forget(r.id);
      return { batch_id: batchId, results };
    },

    /** Removes the host; its credential stops working at once (the row holding its hash is gone). */
    async delete(id: string, actor: string): Promise<void> {
      await deps.store.write(async (tx) => {
        await deleteOne(tx, id, actor);
        tx.emit({ topic: 'hosts', action: 'deleted', id });
      });
      deps.heartbeats.forget(id);
    },

    /**
     * Stale hosts: ephemeral hosts offline past their token's limit are deleted, and
     * approved hosts silent for `disable_offline_after_days` are disabled; each audited
     * with Gatehouse as the actor. Returns how many of each.
     */
    async sweepStale(): Promise<{ deleted: number; disabled: number }> {
      const now = clock.now();
      const days = deps.settings.get().disable_offline_after_days;
      const { ephemeral, silent } = await deps.store.read(async (r) => ({
        ephemeral: await r.expectedHosts.staleEphemeralHosts(now, SWEEP_LIMIT),
        silent: days ? await r.expectedHosts.silentApprovedHosts(now - days * DAY, SWEEP_LIMIT) : [],
      }));
      const gone = ephemeral.filter((h) => {
        const heard = lastHeard(h.id, null);
        return heard === null || heard + h.minutes * 60_000 < now;
      });
      const quiet = silent.filter((h) => {
        const heard = lastHeard(h.id, h.last_seen_at);
        return heard === null || heard < now - days! * DAY;
      });
      if (!gone.length && !quiet.length) return { deleted: 0, disabled: 0 };
      const done = await deps.store.write(async (tx) => {
        const deleted: string[] = [];
        const disabled: string[] = [];
        for (const h of gone) {
          if (!(await tx.hosts.findById(h.id))) continue;
          await deleteOne(tx, h.id, SYSTEM_ACTOR, undefined, { reason: 'ephemeral', offline_minutes: h.minutes });
          deleted.push(h.id);
        }
        for (const h of quiet) {
          if (deleted.includes(h.id)) continue;
          const record = await tx.hosts.findById(h.id);
          if (!record || record.status !== 'APPROVED' || record.retired_at !== null) continue;
          await applyDecision(tx, h.id, 'disable', SYSTEM_ACTOR, {
            note: { reason: 'offline', offline_days: days, last_seen_at: iso(h.last_seen_at) },
          });
          disabled.push(h.id);
        }
        if (deleted.length) tx.emit({ topic: 'hosts', action: 'deleted', ids: deleted });
        if (disabled.length) tx.emit({ topic: 'hosts', action: 'disable', ids: disabled });
        return { deleted, disabled };
      });
      for (const id of done.deleted) deps.heartbeats.forget(id);
      return { deleted: done.deleted.length, disabled: done.disabled.length };
    },

    async pendingCount(): Promise<number> {
      return (await this.counts()).by_status.PENDING;
    },
  };
}

/** `hostname` ascending, `-registered_at` descending. */
function parseSort(sort: string | undefined): [HostSortKey, boolean] {
  const value = sort ?? '-registered_at';
  const descending = value.startsWith('-');
  return [(descending ? value.slice(1) : value) as HostSortKey, descending];
}

export type HostService = ReturnType<typeof createHostService>;
