import { randomUUID } from 'node:crypto';
import type { ParsedInput } from '../../../shared/api/operations';
import type { HostFacts } from '../../../shared/api/schemas';
import type { ExpectedHost, ExpectedImportResult, ExpectedMatch } from '../../../shared/domain';
import { iso } from '../repositories/json-column';
import type { ExpectedHostRecord, HostRecord } from '../store/repositories';
import type { Store, UnitOfWork } from '../store/store';
import type { AuditService } from './audit-service';
import type { Clock } from './clock';
import { normaliseMac, normaliseUuid, parseExpectedCsv } from './expected-csv';

/** What the expected-hosts table says about one registration. */
export type ExpectedOutcome =
  | { kind: 'none' }
  /** Its identifiers point at several unclaimed rows: no row is taken, the admin decides. */
  | { kind: 'ambiguous'; rowIds: string[] }
  /** Exactly one unclaimed row. */
  | { kind: 'match'; row: ExpectedHostRecord }
  /** The row is held by the enrolled host this request replaces, and the hardware agrees: a reinstall. */
  | { kind: 'reenrolment'; row: ExpectedHostRecord }
  /** The row is held by another host: a copy of its identity. Flagged, never approved by itself. */
  | { kind: 'clone'; row: ExpectedHostRecord; claimedBy: string };

export const matchOf = (row: ExpectedHostRecord): ExpectedMatch => ({
  row_id: row.id,
  hostname: row.hostname,
  position: row.position,
});

export const toApiExpected = (r: ExpectedHostRecord): ExpectedHost => ({
  id: r.id,
  import_id: r.import_id,
  line: r.line,
  hostname: r.hostname,
  serial: r.serial,
  system_uuid: r.system_uuid,
  mac: r.mac,
  labels: r.labels,
  position: r.position,
  auto_approve: r.auto_approve,
  claimed_by: r.claimed_by,
  claimed_at: iso(r.claimed_at),
  created_at: iso(r.created_at)!,
  created_by: r.created_by,
});

/**
 * Whether the hardware a request reports agrees with what the host holding a row
 * reported: every identifier both give is equal, and their MAC lists overlap. A
 * reinstall keeps all of them; a clone that copied a serial does not.
 */
export function sameHardware(held: HostFacts | null, reported: HostFacts | undefined): boolean {
  if (!held || !reported) return false;
  let compared = 0;
  if (held.serial && reported.serial) {
    if (held.serial !== reported.serial) return false;
    compared++;
  }
  if (held.system_uuid && reported.system_uuid) {
    if (normaliseUuid(held.system_uuid) !== normaliseUuid(reported.system_uuid)) return false;
    compared++;
  }
  if (held.macs?.length && reported.macs?.length) {
    const macs = new Set(held.macs.map(normaliseMac));
    if (!reported.macs.some((m) => macs.has(normaliseMac(m)))) return false;
    compared++;
  }
  return compared > 0;
}

/** Rack imports: the machines Gatehouse expects, and which registration is which of them. */
export function createExpectedHostService(deps: { store: Store; audit: AuditService; clock: Clock }) {
  /** The host holding a row, when the claim still stands (the host exists and was not replaced). */
  async function holder(tx: UnitOfWork, row: ExpectedHostRecord): Promise<HostRecord | undefined> {
    if (!row.claimed_by) return undefined;
    const host = await tx.hosts.findById(row.claimed_by);
    return host && host.retired_at === null ? host : undefined;
  }

  return {
    async import(input: ParsedInput<'expected.import'>, actor: string): Promise<ExpectedImportResult> {
      return deps.store.write(async (tx) => {
        // First pass finds the identifiers; the second refuses those unclaimed rows already hold.
        const first = parseExpectedCsv(input.csv, { serials: new Set(), systemUuids: new Set(), macs: new Set() });
        const held = await tx.expectedHosts.findByIdentifiers({
          serials: first.rows.flatMap((r) => (r.serial ? [r.serial] : [])),
          systemUuids: first.rows.flatMap((r) => (r.system_uuid ? [r.system_uuid] : [])),
          macs: first.rows.flatMap((r) => (r.mac ? [r.mac] : [])),
        });
        const unclaimed = held.filter((r) => r.claimed_by === null);
        const { rows, errors } = parseExpectedCsv(input.csv, {
          serials: new Set(unclaimed.flatMap((r) => (r.serial ? [r.serial] : []))),
          systemUuids: new Set(unclaimed.flatMap((r) => (r.system_uuid ? [r.system_uuid] : []))),
          macs: new Set(unclaimed.flatMap((r) => (r.mac ? [r.mac] : []))),
        });
        const importId = randomUUID();
        const now = deps.clock.now();
        await tx.expectedHosts.insertMany(
          rows.map((r) => ({
            id: randomUUID(),
            import_id: importId,
            line: r.line,
            hostname: r.hostname,
            serial: r.serial,
            system_uuid: r.system_uuid,
            mac: r.mac,
            labels: r.labels,
            position: r.position,
            auto_approve: input.auto_approve ?? false,
            created_at: now,
            created_by: actor,
          })),
        );
        await deps.audit.record(tx, {
          actor,
          action: 'expected.imported',
          targetType: 'expected_host',
          targetId: importId,
          detail: { imported: rows.length, refused: errors.length, auto_approve: input.auto_approve ?? false },
        });
        tx.emit({ topic: 'expected', action: 'imported', id: importId });
        return { import_id: importId, imported: rows.length, errors };
      });
    },

    async list(input: ParsedInput<'expected.list'>): Promise<{ expected_hosts: ExpectedHost[]; total_count: number }> {
      return deps.store.read(async (r) => {
        const rows = await r.expectedHosts.list({ importId: input.import_id, limit: input.limit ?? 10_000 });
        const total = input.import_id ? rows.length : await r.expectedHosts.count();
        return { expected_hosts: rows.map(toApiExpected), total_count: total };
      });
    },

    /**
     * Which expected row this registration is: the row its token was minted for, else
     * the rows carrying its serial, system UUID or one of its MACs.
     */
    async match(
      tx: UnitOfWork,
      request: { tokenId: string; facts: HostFacts | undefined; enrolled: HostRecord | undefined },
    ): Promise<ExpectedOutcome> {
      const { facts } = request;
      const bound = await tx.expectedHosts.rowOfToken(request.tokenId);
      const candidates = bound
        ? [bound]
        : await tx.expectedHosts.findByIdentifiers({
            serials: facts?.serial ? [facts.serial] : [],
            systemUuids: facts?.system_uuid ? [normaliseUuid(facts.system_uuid)] : [],
            macs: (facts?.macs ?? []).map(normaliseMac),
          });
      const free: ExpectedHostRecord[] = [];
      let reinstall: ExpectedHostRecord | undefined;
      for (const row of candidates) {
        const host = await holder(tx, row);
        if (!host) free.push(row);
        else if (host.id === request.enrolled?.id && sameHardware(host.facts, facts)) reinstall = row;
        else return { kind: 'clone', row, claimedBy: host.id };
      }
      if (reinstall) return { kind: 'reenrolment', row: reinstall };
      if (free.length === 1) return { kind: 'match', row: free[0]! };
      if (free.length > 1) return { kind: 'ambiguous', rowIds: free.map((r) => r.id) };
      return { kind: 'none' };
    },

    /**
     * The live host, other than `hostId` and those this approval retires, that holds the
     * row: approving `hostId` as that row would make two machines one. Null when free.
     */
    async heldElsewhere(
      tx: UnitOfWork,
      rowId: string,
      hostId: string,
      retiring: string[] = [],
    ): Promise<HostRecord | null> {
      const row = await tx.expectedHosts.findById(rowId);
      const current = row && (await holder(tx, row));
      return current && current.id !== hostId && !retiring.includes(current.id) ? current : null;
    },

    /**
     * Hosts registered with this token are deleted after `minutes` offline. Called right
     * after the token is created (the token service does not know this column yet).
     */
    /** The approved host takes its row; a later match on it is a clone. */
    async claim(tx: UnitOfWork, rowId: string, hostId: string): Promise<void> {
      await tx.expectedHosts.claim(rowId, hostId, deps.clock.now());
      tx.emit({ topic: 'expected', action: 'claimed', id: rowId });
    },
  };
}

export type ExpectedHostService = ReturnType<typeof createExpectedHostService>;
