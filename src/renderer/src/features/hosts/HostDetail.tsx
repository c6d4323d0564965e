import { useEffect, useState, type ReactNode } from 'react';
import type { AuditEntry, Host } from '../../../../shared/domain';
import { HostStatusChip, Labels } from '../../components/chips';
import { Modal } from '../../components/Modal';
import { AbsoluteTime, RelativeTime } from '../../components/time';
import { useApp, useClient } from '../../stores/context';
import { ALARM_TEXT } from '../../stores/rack-slice';
import { HostActionConfirm } from './HostActionConfirm';

/** A fact's value as text: sizes with units, lists joined. */
function factText(key: string, value: unknown): string {
  if (key === 'memory_mb' && typeof value === 'number') return `${(value / 1024).toFixed(1)} GiB`;
  if (key === 'disks' && Array.isArray(value)) {
    return (value as { name: string; size_gb: number }[]).map((d) => `${d.name} ${d.size_gb} GB`).join(', ');
  }
  if (Array.isArray(value)) return value.join(', ');
  return String(value);
}

const FACT_LABEL: Record<string, string> = {
  vendor: 'Vendor',
  model: 'Model',
  serial: 'Serial',
  system_uuid: 'System UUID',
  board_serial: 'Board serial',
  macs: 'MAC addresses',
  cpu_model: 'CPU',
  cpus: 'CPUs',
  memory_mb: 'Memory',
  disks: 'Disks',
  bmc_ip: 'BMC address',
  os_release: 'OS release',
  kernel: 'Kernel',
  firmware: 'Firmware',
};

/** Everything about one host: its fields, the hardware it reported, its audit history and its actions. */
export function HostDetail({ id }: { id: string }) {
  const client = useClient();
  const { cached, showHost, decide, deleteHost, reportError } = useApp((s) => ({
    cached: s.hostsById[id],
    showHost: s.showHost,
    decide: s.decide,
    deleteHost: s.deleteHost,
    reportError: s.reportError,
  }));
  // The store's row is patched by live events; the fetched one covers a host no list has loaded.
  const [fetched, setFetched] = useState<Host | null>(null);
  const host = cached ?? fetched;
  const [history, setHistory] = useState<AuditEntry[] | null>(null);
  const [confirm, setConfirm] = useState<'disable' | 'delete' | 'reject' | null>(null);
  useEffect(() => {
    client.api['hosts.get']({ id }).then(setFetched, reportError);
    client.api['audit.list']({ target_id: id, limit: 50 }).then((page) => setHistory(page.entries), reportError);
  }, [client, id, reportError, cached?.status]);
  const close = () => showHost(null);
  if (!host) return null;
  const facts = Object.entries(host.facts ?? {}).filter(([, v]) => v !== undefined && v !== null && v !== '');
  const fields: [string, ReactNode][] = [
    ['Status', <HostStatusChip key="s" status={host.status} />],
    ['Connectivity', host.connectivity],
    ['Last seen', <RelativeTime key="l" at={host.last_seen_at} />],
    [
      'Machine id',
      <span key="m" className="mono">
        {host.machine_id}
      </span>,
    ],
    [
      'Address',
      <span key="a" className="mono">
        {[...new Set([host.remote_addr, ...host.ips])].join(', ')}
      </span>,
    ],
    ['OS', [host.os, host.arch].filter(Boolean).join(' ') || '—'],
    ['Labels', <Labels key="lb" labels={host.labels} />],
    [
      'Token',
      <span key="t" className="mono">
        {host.token_prefix ?? '—'}
      </span>,
    ],
    [
      'Verification code',
      <span key="v" className="mono">
        {host.verification_code}
      </span>,
    ],
    ['Registered', <AbsoluteTime key="r" at={host.registered_at} />],
    [
      'Decided',
      host.decided_at ? (
        <span key="d">
          <AbsoluteTime at={host.decided_at} /> by {host.decided_by}
        </span>
      ) : (
        '—'
      ),
    ],
  ];
  if (host.reject_reason) fields.push(['Reject reason', host.reject_reason]);
  if (host.replaces) fields.push(['Re-enrolment of', host.replaces_hostname ?? host.replaces]);
  if (host.replaced_by) fields.push(['Replaced by', host.replaced_by]);
  if (host.conflict)
    fields.push(['Conflict', 'Another request for this machine is waiting; approving one retires the other.']);
  fields.push([
    'Expected',
    host.expected
      ? `Yes: row ${host.expected.hostname}${host.expected.position ? ` at ${host.expected.position}` : ''}`
      : 'No: not in any import',
  ]);
  if (host.alarm)
    fields.push([
      'Alarm',
      <span key="al" className="error-text">
        {ALARM_TEXT[host.alarm]}
      </span>,
    ]);

  return (
    <Modal title={host.hostname} onClose={close} wide>
      <div className="stack">
        <div className="actions-left" data-autofocus-after>
          {(host.status === 'PENDING' || host.status === 'REJECTED') && (
            <button type="button" className="primary" onClick={() => void decide(host.id, 'approve')}>
              Approve
            </button>
          )}
          {host.status === 'PENDING' && (
            <button type="button" onClick={() => setConfirm('reject')}>
              Reject
            </button>
          )}
          {host.status === 'APPROVED' && (
            <button type="button" onClick={() => setConfirm('disable')}>
              Disable
            </button>
          )}
          {host.status === 'DISABLED' && (
            <button type="button" onClick={() => void decide(host.id, 'enable')}>
              Enable
            </button>
          )}
          <button type="button" className="danger-link" onClick={() => setConfirm('delete')}>
            Delete
          </button>
        </div>
        <dl className="fields">
          {fields.map(([k, v]) => (
            <div key={k}>
              <dt>{k}</dt>
              <dd>{v}</dd>
            </div>
          ))}
        </dl>
        <h3>Hardware</h3>
        {facts.length === 0 ? (
          <p className="muted">This host reported no hardware facts.</p>
        ) : (
          <dl className="fields">
            {facts.map(([k, v]) => (
              <div key={k}>
                <dt>{FACT_LABEL[k] ?? k}</dt>
                <dd className="mono">{factText(k, v)}</dd>
              </div>
            ))}
          </dl>
        )}
        <h3>History</h3>
        {history === null ? (
          <p className="muted">Loading its history…</p>
        ) : history.length === 0 ? (
          <p className="muted">Nothing recorded.</p>
        ) : (
          <ul className="history">
            {history.map((e) => (
              <li key={e.id}>
                <AbsoluteTime at={e.at} /> <span className="mono">{e.action}</span> by {e.actor}
              </li>
            ))}
          </ul>
        )}
      </div>
      {confirm && (
        <HostActionConfirm
          host={host}
          action={confirm}
          onCancel={() => setConfirm(null)}
          onConfirm={async (reason) => {
            if (confirm === 'delete') {
              if (await deleteHost(host.id)) close();
            } else await decide(host.id, confirm, reason);
            setConfirm(null);
          }}
        />
      )}
    </Modal>
  );
}
