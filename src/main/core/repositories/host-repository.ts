import type { HostStatus } from '../../../shared/domain';
import type { Db } from '../db/connection';
import { readStringArray } from './json-column';

export interface HostRow {
  id: string;
  hostname: string;
  machine_id: string;
  status: HostStatus;
  remote_addr: string;
  ips: string;
  os: string | null;
  arch: string | null;
  labels: string;
  token_id: string | null;
  token_prefix: string | null;
  verification_code: string;
  replaces: string | null;
  registered_at: number;
  decided_at: number | null;
  decided_by: string | null;
  reject_reason: string | null;
  last_seen_at: number | null;
  retired_at: number | null;
  replaced_by: string | null;
}

export interface HostRecord extends Omit<HostRow, 'ips' | 'labels'> {
  ips: string[];
  labels: string[];
  replaces_hostname: string | null;
}

export interface NewHost {
  id: string;
  hostname: string;
  machineId: string;
  status: HostStatus;
  remoteAddr: string;
  ips: string[];
  os: string | null;
  arch: string | null;
  labels: string[];
  tokenId: string;
  tokenPrefix: string;
  verificationCode: string;
  replaces: string | null;
  credentialHash: Buffer;
  registeredAt: number;
  decidedAt: number | null;
  decidedBy: string | null;
}

// Credential hashes never leave this module: selected columns only.
const COLUMNS = `h.id, h.hostname, h.machine_id, h.status, h.remote_addr, h.ips, h.os, h.arch, h.labels,
  h.token_id, h.token_prefix, h.verification_code, h.replaces, h.registered_at, h.decided_at,
  h.decided_by, h.reject_reason, h.last_seen_at, h.retired_at, h.replaced_by,
  r.hostname AS replaces_hostname`;
const FROM = 'FROM hosts h LEFT JOIN hosts r ON r.id = h.replaces';

function toRecord(row: HostRow & { replaces_hostname: string | null }): HostRecord {
  return { ...row, ips: readStringArray(row.ips), labels: readStringArray(row.labels) };
}

type Row = HostRow & { replaces_hostname: string | null };

/** SQL for hosts and their credentials; rules live in the enrolment and host services. */
export function createHostRepository(db: Db) {
  const insert = db.prepare(`
    INSERT INTO hosts (id, hostname, machine_id, status, remote_addr, ips, os, arch, labels, token_id,
      token_prefix, verification_code, replaces, credential_hash, registered_at, decided_at, decided_by)
    VALUES (@id, @hostname, @machineId, @status, @remoteAddr, @ips, @os, @arch, @labels, @tokenId,
      @tokenPrefix, @verificationCode, @replaces, @credentialHash, @registeredAt, @decidedAt, @decidedBy)`);
  const byId = db.prepare<[string], Row>(`SELECT ${COLUMNS} ${FROM} WHERE h.id = ?`);
  const byMachine = db.prepare<[string], Row>(
    `SELECT ${COLUMNS} ${FROM} WHERE h.machine_id = ? AND h.retired_at IS NULL`,
  );
  const byCredential = db.prepare<[{ hash: Buffer }], Row & { current: number }>(
    `SELECT ${COLUMNS}, (h.credential_hash = @hash) AS current ${FROM}
      WHERE h.retired_at IS NULL AND (h.credential_hash = @hash OR h.next_credential_hash = @hash)`,
  );
  const listAll = db.prepare<[], Row>(
    `SELECT ${COLUMNS} ${FROM} WHERE h.retired_at IS NULL ORDER BY h.registered_at DESC, h.id`,
  );
  const listByStatus = db.prepare<[string], Row>(
    `SELECT ${COLUMNS} ${FROM} WHERE h.retired_at IS NULL AND h.status = ? ORDER BY h.registered_at DESC, h.id`,
  );
  const setStatus = db.prepare(`
    UPDATE hosts SET status = @status, decided_at = @now, decided_by = @actor, reject_reason = @reason
     WHERE id = @id`);
  const retire = db.prepare(`
    UPDATE hosts SET retired_at = @now, replaced_by = @replacedBy, credential_hash = NULL,
           next_credential_hash = NULL
     WHERE id = @id AND retired_at IS NULL`);
  const remove = db.prepare('DELETE FROM hosts WHERE id = ?');
  const promote = db.prepare(
    'UPDATE hosts SET credential_hash = next_credential_hash, next_credential_hash = NULL WHERE id = ? AND next_credential_hash IS NOT NULL',
  );
  const setNext = db.prepare('UPDATE hosts SET next_credential_hash = ? WHERE id = ?');
  const touch = db.prepare(
    'UPDATE hosts SET last_seen_at = @at WHERE id = @id AND (last_seen_at IS NULL OR last_seen_at < @at)',
  );
  const countPending = db.prepare<[], { n: number }>(
    "SELECT COUNT(*) AS n FROM hosts WHERE status = 'PENDING' AND retired_at IS NULL",
  );

  return {
    insert(host: NewHost): void {
      insert.run({ ...host, ips: JSON.stringify(host.ips), labels: JSON.stringify(host.labels) });
    },
    findById(id: string): HostRecord | undefined {
      const row = byId.get(id);
      return row && toRecord(row);
    },
    /** Hosts of this machine that are not retired (at most an enrolled one and a request). */
    findByMachineId(machineId: string): HostRecord[] {
      return byMachine.all(machineId).map(toRecord);
    },
    /** The host holding this credential hash, and whether it is the current or the rotated-to one. */
    findByCredentialHash(hash: Buffer): { host: HostRecord; current: boolean } | undefined {
      const row = byCredential.get({ hash });
      return row && { host: toRecord(row), current: row.current === 1 };
    },
    list(status?: HostStatus): HostRecord[] {
      return (status ? listByStatus.all(status) : listAll.all()).map(toRecord);
    },
    setStatus(id: string, status: HostStatus, now: number, actor: string, reason: string | null = null): void {
      setStatus.run({ id, status, now, actor, reason });
    },
    /** Retires a host: its credential dies, its row stays for history, linked to its successor. */
    retire(id: string, now: number, replacedBy: string | null): void {
      retire.run({ id, now, replacedBy });
    },
    delete(id: string): boolean {
      return remove.run(id).changes === 1;
    },
    promoteNextCredential(id: string): void {
      promote.run(id);
    },
    setNextCredential(id: string, hash: Buffer): void {
      setNext.run(hash, id);
    },
    touchLastSeen(id: string, at: number): void {
      touch.run({ id, at });
    },
    countPending(): number {
      return countPending.get()!.n;
    },
  };
}

export type HostRepository = ReturnType<typeof createHostRepository>;
