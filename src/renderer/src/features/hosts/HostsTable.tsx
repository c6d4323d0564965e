import { useVirtualizer } from '@tanstack/react-virtual';
import { useMemo, useRef, useState } from 'react';
import { HOST_STATUSES, type Host, type HostStatus } from '../../../../shared/domain';
import { ConnectivityDot, HostStatusChip, Labels } from '../../components/chips';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { EmptyState } from '../../components/EmptyState';
import { RelativeTime } from '../../components/time';
import { connectivityOf } from '../../../../shared/connectivity';
import { useApp, useNow } from '../../stores/context';

const ROW_HEIGHT = 52;

export function filterHosts(hosts: Host[], status: HostStatus | 'ALL', search: string): Host[] {
  const needle = search.trim().toLowerCase();
  return hosts.filter(
    (h) =>
      (status === 'ALL' || h.status === status) &&
      (!needle ||
        [h.hostname, h.remote_addr, ...h.ips, ...h.labels, h.os ?? '', h.token_prefix ?? ''].some((v) =>
          v.toLowerCase().includes(needle),
        )),
  );
}

/** Every host, filtered and searched; only the visible rows are in the DOM, so 10,000 stay smooth. */
export function HostsTable() {
  const { hosts, loaded, status, search, setStatus, setSearch } = useApp((s) => ({
    hosts: s.hosts,
    loaded: s.hostsLoaded,
    status: s.statusFilter,
    search: s.search,
    setStatus: s.setStatusFilter,
    setSearch: s.setSearch,
  }));
  const rows = useMemo(() => filterHosts(hosts, status, search), [hosts, status, search]);
  const scroller = useRef<HTMLDivElement>(null);
  // TanStack Virtual hands back a mutable instance the React Compiler cannot memoise; we do not use the compiler.
  // eslint-disable-next-line react-hooks/incompatible-library
  const virtual = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 10,
  });

  return (
    <section className="panel" aria-labelledby="hosts-title">
      <header className="panel-header">
        <h2 id="hosts-title">
          Hosts{' '}
          <span className="count">
            {rows.length === hosts.length ? hosts.length : `${rows.length} of ${hosts.length}`}
          </span>
        </h2>
        <div className="actions-left">
          <label className="field-inline">
            <span>Status</span>
            <select value={status} onChange={(e) => setStatus(e.target.value as HostStatus | 'ALL')}>
              <option value="ALL">All</option>
              {HOST_STATUSES.map((s) => (
                <option key={s} value={s}>
                  {s[0] + s.slice(1).toLowerCase()}
                </option>
              ))}
            </select>
          </label>
          <label className="field-inline">
            <span>Search</span>
            <input
              type="search"
              value={search}
              placeholder="hostname, address, label"
              onChange={(e) => setSearch(e.target.value)}
            />
          </label>
        </div>
      </header>
      {!loaded ? (
        <p className="muted">Loading hosts…</p>
      ) : rows.length === 0 ? (
        <EmptyState title={hosts.length === 0 ? 'No hosts yet' : 'No host matches'}>
          {hosts.length === 0
            ? 'Approved hosts appear here with their heartbeat.'
            : 'Change the status filter or the search.'}
        </EmptyState>
      ) : (
        <div role="table" aria-label="Hosts" aria-rowcount={rows.length + 1} className="grid">
          <div role="row" className="grid-row grid-head" aria-rowindex={1}>
            {['Host', 'Status', 'Connectivity', 'Last seen', 'Addresses', 'Labels', 'Actions'].map((c) => (
              <span role="columnheader" key={c}>
                {c}
              </span>
            ))}
          </div>
          <div ref={scroller} className="grid-body" data-testid="hosts-scroller">
            <div style={{ height: virtual.getTotalSize(), position: 'relative' }}>
              {virtual.getVirtualItems().map((item) => (
                <HostRow key={rows[item.index]!.id} host={rows[item.index]!} index={item.index} top={item.start} />
              ))}
            </div>
          </div>
        </div>
      )}
    </section>
  );
}

function HostRow({ host, index, top }: { host: Host; index: number; top: number }) {
  const { decide, deleteHost, threshold } = useApp((s) => ({
    decide: s.decide,
    deleteHost: s.deleteHost,
    threshold: s.settings?.offline_threshold_seconds ?? 90,
  }));
  const now = useNow();
  const connectivity = connectivityOf(
    host.last_seen_at === null ? null : Date.parse(host.last_seen_at),
    now,
    threshold,
  );
  const [confirm, setConfirm] = useState<'disable' | 'delete' | null>(null);
  return (
    <div
      role="row"
      aria-rowindex={index + 2}
      className="grid-row"
      style={{ position: 'absolute', top, height: ROW_HEIGHT, width: '100%' }}
      data-host-id={host.id}
    >
      <span role="cell" className="strong truncate" title={host.hostname}>
        {host.hostname}
      </span>
      <span role="cell">
        <HostStatusChip status={host.status} />
      </span>
      <span role="cell">
        <ConnectivityDot connectivity={connectivity} />
      </span>
      <span role="cell">
        <RelativeTime at={host.last_seen_at} />
      </span>
      <span role="cell" className="truncate mono">
        {[...new Set([host.remote_addr, ...host.ips])].join(', ')}
      </span>
      <span role="cell" className="truncate">
        <Labels labels={host.labels} />
      </span>
      <span role="cell" className="row-actions">
        {host.status === 'APPROVED' && (
          <button type="button" onClick={() => setConfirm('disable')} aria-label={`Disable ${host.hostname}`}>
            Disable
          </button>
        )}
        {host.status === 'DISABLED' && (
          <button type="button" onClick={() => void decide(host.id, 'enable')} aria-label={`Enable ${host.hostname}`}>
            Enable
          </button>
        )}
        {(host.status === 'REJECTED' || host.status === 'PENDING') && (
          <button type="button" onClick={() => void decide(host.id, 'approve')} aria-label={`Approve ${host.hostname}`}>
            Approve
          </button>
        )}
        <button
          type="button"
          className="danger-link"
          onClick={() => setConfirm('delete')}
          aria-label={`Delete ${host.hostname}`}
        >
          Delete
        </button>
      </span>
      {confirm && (
        <ConfirmDialog
          title={confirm === 'delete' ? `Delete ${host.hostname}?` : `Disable ${host.hostname}?`}
          confirmLabel={confirm === 'delete' ? 'Delete host' : 'Disable host'}
          danger
          onCancel={() => setConfirm(null)}
          onConfirm={async () => {
            await (confirm === 'delete' ? deleteHost(host.id) : decide(host.id, 'disable'));
            setConfirm(null);
          }}
        >
          {confirm === 'delete'
            ? 'Its credential stops working at once. To come back it must enrol again with a new token.'
            : 'Its heartbeats are refused until you enable it again. Nothing else changes.'}
        </ConfirmDialog>
      )}
    </div>
  );
}
