import { ApiError } from '../../../shared/api/errors';
import { connectivityOf } from '../../../shared/connectivity';
import type { BulkResult, Host, HostStatus } from '../../../shared/domain';
import type { Db } from '../db/connection';
import { writeTransaction } from '../db/connection';
import type { HostRecord, HostRepository } from '../repositories/host-repository';
import { iso } from '../repositories/json-column';
import type { AuditService } from './audit-service';
import type { Clock } from './clock';
import type { EventBus } from './event-bus';
import type { HeartbeatRecorder } from './heartbeat-recorder';
import type { SettingsService } from './settings-service';

export type Decision = 'approve' | 'reject' | 'disable' | 'enable';

/** Which statuses each decision may start from, and where it leads. */
const TRANSITIONS: Record<Decision, { from: HostStatus[]; to: HostStatus; verb: string }> = {
  approve: { from: ['PENDING', 'REJECTED'], to: 'APPROVED', verb: 'approved' },
  reject: { from: ['PENDING', 'APPROVED'], to: 'REJECTED', verb: 'rejected' },
  disable: { from: ['APPROVED'], to: 'DISABLED', verb: 'disabled' },
  enable: { from: ['DISABLED'], to: 'APPROVED', verb: 'enabled' },
};

export interface HostServiceDeps {
  db: Db;
  hosts: HostRepository;
  audit: AuditService;
  settings: SettingsService;
  events: EventBus;
  clock: Clock;
  heartbeats: HeartbeatRecorder;
}

/** The approval queue and the admin's decisions about hosts. */
export function createHostService(deps: HostServiceDeps) {
  const { hosts, clock } = deps;

  const connectivity = (lastSeen: number | null, now: number) =>
    connectivityOf(lastSeen, now, deps.settings.get().offline_threshold_seconds);

  function toApi(record: HostRecord, now = clock.now()): Host & { replaced_by: string | null } {
    const lastSeen = deps.heartbeats.lastSeen(record.id, record.last_seen_at);
    return {
      id: record.id,
      hostname: record.hostname,
      machine_id: record.machine_id,
      status: record.status,
      connectivity: connectivity(lastSeen, now),
      remote_addr: record.remote_addr,
      ips: record.ips,
      os: record.os,
      arch: record.arch,
      labels: record.labels,
      token_id: record.token_id,
      token_prefix: record.token_prefix,
      verification_code: record.verification_code,
      replaces: record.replaces,
      replaces_hostname: record.replaces_hostname,
      registered_at: iso(record.registered_at)!,
      decided_at: iso(record.decided_at),
      decided_by: record.decided_by,
      reject_reason: record.reject_reason,
      last_seen_at: iso(lastSeen),
      replaced_by: record.replaced_by,
    };
  }

  function mustFind(id: string): HostRecord {
    const record = hosts.findById(id);
    if (!record) throw new ApiError('NOT_FOUND', 'No host has that id. It may have been deleted.');
    return record;
  }

  /** Applies one decision; call inside a write transaction. */
  function applyDecision(id: string, decision: Decision, actor: string, reason?: string): HostRecord {
    const record = mustFind(id);
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
    const now = clock.now();
    hosts.setStatus(id, rule.to, now, actor, decision === 'reject' ? (reason ?? null) : null);
    const detail: Record<string, unknown> = { hostname: record.hostname, from: record.status, to: rule.to };
    if (decision === 'reject' && reason) detail.reason = reason;
    if (decision === 'approve' && record.replaces) {
      // Approving a re-enrolment retires the machine's old identity: its credential
      // dies now, its history stays linked to the new host.
      hosts.retire(record.replaces, now, id);
      deps.heartbeats.forget(record.replaces);
      detail.retired = record.replaces;
    }
    deps.audit.record({ actor, action: `host.${rule.verb}`, targetType: 'host', targetId: id, detail });
    return mustFind(id);
  }

  return {
    toApi,

    list(status?: HostStatus): { hosts: Host[]; total_count: number } {
      const now = clock.now();
      const list = hosts.list(status).map((h) => toApi(h, now));
      return { hosts: list, total_count: list.length };
    },

    get(id: string): Host {
      return toApi(mustFind(id));
    },

    decide(id: string, decision: Decision, actor: string, reason?: string): Host {
      const record = writeTransaction(deps.db, () => applyDecision(id, decision, actor, reason));
      deps.events.publish({ topic: 'hosts', action: decision, id });
      return toApi(record);
    },

    /** All decisions in one transaction: one fsync for a thousand approvals. Per-id results. */
    bulk(action: 'approve' | 'reject', ids: string[], actor: string, reason?: string): BulkResult {
      const results = writeTransaction(deps.db, () =>
        [...new Set(ids)].map((id): BulkResult['results'][number] => {
          try {
            return { id, ok: true, status: applyDecision(id, action, actor, reason).status };
          } catch (error) {
            if (!(error instanceof ApiError)) throw error;
            return { id, ok: false, error: { code: error.code, message: error.message } };
          }
        }),
      );
      deps.events.publish({ topic: 'hosts', action: `bulk.${action}` });
      return { results };
    },

    /** Removes the host; its credential stops working at once (the row holding its hash is gone). */
    delete(id: string, actor: string): void {
      writeTransaction(deps.db, () => {
        const record = mustFind(id);
        hosts.delete(id);
        deps.audit.record({
          actor,
          action: 'host.deleted',
          targetType: 'host',
          targetId: id,
          detail: { hostname: record.hostname, machine_id: record.machine_id, status: record.status },
        });
      });
      deps.heartbeats.forget(id);
      deps.events.publish({ topic: 'hosts', action: 'deleted', id });
    },

    pendingCount(): number {
      return hosts.countPending();
    },
  };
}

export type HostService = ReturnType<typeof createHostService>;
