import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useRef, useState, type MouseEvent } from 'react';
import { connectivityOf } from '../../../../shared/connectivity';
import type { Connectivity, Host, HostStatus } from '../../../../shared/domain';
import { ConnectivityDot, HostStatusChip, Labels } from '../../components/chips';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { EmptyState } from '../../components/EmptyState';
import { RelativeTime } from '../../components/time';
import { downloadText } from '../../lib/download';
import { hostsToCsv } from '../../lib/hosts-csv';
import { useApp, useNow } from '../../stores/context';
import type { HostQuery, HostSort } from '../../stores/host-query';
import { ALARM_SHORT } from '../../stores/rack-slice';
import type { BulkAction } from '../../stores/hosts-slice';
import { CONFIRM_APPROVE_OVER } from './ApprovalQueue';
import { HostActionConfirm } from './HostActionConfirm';

interface Chip {
  label: string;
  status?: HostStatus;
  connectivity?: Connectivity;
  count: (c: NonNullable<ReturnType<typeof useCounts>>) => number;
}

/** The filter chips: connectivity first (among approved hosts), then the other statuses. */
const CHIPS: Chip[] = [
  { label: 'All', count: (c) => c.total },
  { label: 'Online', status: 'APPROVED', connectivity: 'ONLINE', count: (c) => c.by_connectivity.ONLINE },
  { label: 'Offline', status: 'APPROVED', connectivity: 'OFFLINE', count: (c) => c.by_connectivity.OFFLINE },
  { label: 'Never seen', status: 'APPROVED', connectivity: 'NEVER', count: (c) => c.by_connectivity.NEVER },
  { label: 'Pending', status: 'PENDING', count: (c) => c.by_status.PENDING },
  { label: 'Approved', status: 'APPROVED', count: (c) => c.by_status.APPROVED },
  { label: 'Disabled', status: 'DISABLED', count: (c) => c.by_status.DISABLED },
  { label: 'Rejected', status: 'REJECTED', count: (c) => c.by_status.REJECTED },
];

const COLUMNS: { label: string; sort?: string }[] = [
  { label: 'Host', sort: 'hostname' },
  { label: 'Status', sort: 'status' },
  { label: 'Connectivity' },
  { label: 'Last seen', sort: 'last_seen_at' },
  { label: 'Addresses' },
  { label: 'Labels' },
  { label: 'Actions' },
];

function useCounts() {
  return useApp((s) => s.counts);
}

const VERB: Record<BulkAction, string> = {
  approve: 'Approve',
  reject: 'Reject',
  disable: 'Disable',
  enable: 'Enable',
  delete: 'Delete',
};

/** Every host, paged from the server as the user scrolls; search, filters and sort run on the server. */
export function HostsTable() {
  const counts = useCounts();
  const { list, rows, tokens, selection, count, compact } = useApp((s) => ({
    list: s.lists.table,
    rows: s.hostsById,
    tokens: s.tokens,
    selection: s.selection.table,
    count: s.selectionCount('table'),
    compact: s.compact,
  }));
  const { setQuery, loadMore, setVisible, selectAll, bulkSelected, collectAll, setCompact, reportError } = useApp(
    (s) => ({
      setQuery: s.setQuery,
      loadMore: s.loadMore,
      setVisible: s.setVisible,
      selectAll: s.selectAllMatching,
      bulkSelected: s.bulkSelected,
      collectAll: s.collectAll,
      setCompact: s.setCompact,
      reportError: s.reportError,
    }),
  );
  const query = list.query;
  const rowHeight = compact ? 36 : 52;
  const [search, setSearch] = useState(query.q ?? '');
  const [labelText, setLabelText] = useState(query.label ?? '');
  const [confirm, setConfirm] = useState<BulkAction | null>(null);
  const [exporting, setExporting] = useState<number | null>(null);
  useEffect(() => {
    const timer = setTimeout(() => {
      if ((query.q ?? '') !== search.trim()) void setQuery('table', { q: search.trim() || undefined });
    }, 250);
    return () => clearTimeout(timer);
  }, [search, query.q, setQuery]);

  const scroller = useRef<HTMLDivElement>(null);
  // TanStack Virtual hands back a mutable instance the React Compiler cannot memoise; we do not use the compiler.
  // eslint-disable-next-line react-hooks/incompatible-library
  const virtual = useVirtualizer({
    count: list.ids.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => rowHeight,
    overscan: 10,
    getItemKey: (i) => list.ids[i]!,
  });
  useEffect(() => virtual.measure(), [rowHeight, virtual]);
  const items = virtual.getVirtualItems();
  const lastIndex = items.at(-1)?.index ?? 0;
  useEffect(() => {
    setVisible(
      'table',
      items.map((i) => list.ids[i.index]!),
    );
    if (lastIndex >= list.ids.length - 20) void loadMore('table');
  }, [items, list.ids, lastIndex, loadMore, setVisible]);

  const chipActive = (c: Chip) => query.status === c.status && query.connectivity === c.connectivity;
  const sortBy = (column: string) => {
    const next = (query.sort === column ? `-${column}` : column) as HostSort;
    void setQuery('table', { sort: next });
  };
  const ariaSort = (column?: string) =>
    !column ? undefined : query.sort === column ? 'ascending' : query.sort === `-${column}` ? 'descending' : 'none';

  async function exportCsv() {
    setExporting(0);
    try {
      const all = await collectAll('table', setExporting);
      downloadText(hostsToCsv(all), `gatehouse-hosts-${new Date().toISOString().slice(0, 10)}.csv`, 'text/csv');
    } catch (error) {
      reportError(error);
    } finally {
      setExporting(null);
    }
  }

  const selected = new Set(selection.ids);
  const filtered = Boolean(query.status || query.connectivity || query.q || query.label || query.token_id);

  return (
    <section className="panel" aria-labelledby="hosts-title">
      <header className="panel-header">
        <h2 id="hosts-title">
          Hosts <span className="count">{list.total}</span>
        </h2>
        <div className="actions-left">
          <label className="check">
            <input type="checkbox" checked={compact} onChange={(e) => setCompact(e.target.checked)} />
            <span>Compact rows</span>
          </label>
          <button type="button" onClick={() => void exportCsv()} disabled={exporting !== null}>
            {exporting === null ? 'Export CSV' : `Exporting… ${exporting}`}
          </button>
        </div>
      </header>
      <div className="filter-chips" role="group" aria-label="Filter by status and connectivity">
        {CHIPS.map((c) => (
          <button
            key={c.label}
            type="button"
            className="filter-chip"
            aria-pressed={chipActive(c)}
            onClick={() => void setQuery('table', { status: c.status, connectivity: c.connectivity })}
          >
            {c.label} <span className="tabular">{counts ? c.count(counts) : '…'}</span>
          </button>
        ))}
      </div>
      <div className="filters">
        <label className="field-inline">
          <span>Search</span>
          <input
            type="search"
            value={search}
            placeholder="hostname, address, serial, MAC"
            onChange={(e) => setSearch(e.target.value)}
          />
        </label>
        <label className="field-inline">
          <span>Label</span>
          <input
            value={labelText}
            placeholder="rack=b12"
            onChange={(e) => setLabelText(e.target.value)}
            onBlur={() => void setQuery('table', { label: labelText.trim() || undefined })}
            onKeyDown={(e) => e.key === 'Enter' && void setQuery('table', { label: labelText.trim() || undefined })}
          />
        </label>
        <label className="field-inline">
          <span>Token</span>
          <select
            value={query.token_id ?? ''}
            onChange={(e) => void setQuery('table', { token_id: e.target.value || undefined })}
          >
            <option value="">Any token</option>
            {tokens.map((t) => (
              <option key={t.id} value={t.id}>
                {t.prefix}… {t.description}
              </option>
            ))}
          </select>
        </label>
      </div>
      {list.total > 0 && (
        <div className="bulk-bar" role="group" aria-label="Selected hosts">
          <label className="check">
            <input type="checkbox" checked={selection.all} onChange={(e) => selectAll('table', e.target.checked)} />
            <span>Select all {list.total} matching</span>
          </label>
          <span className="muted tabular">{count} selected</span>
          {(['approve', 'disable', 'enable', 'delete'] as const).map((action) => (
            <button
              key={action}
              type="button"
              className={action === 'delete' ? 'danger-link' : undefined}
              disabled={count === 0}
              onClick={() =>
                action === 'enable' || (action === 'approve' && count <= CONFIRM_APPROVE_OVER)
                  ? void bulkSelected('table', action)
                  : setConfirm(action)
              }
            >
              {VERB[action]} selected
            </button>
          ))}
        </div>
      )}
      {!list.loaded ? (
        <p className="muted">Loading hosts…</p>
      ) : list.ids.length === 0 ? (
        <EmptyState title={filtered ? 'No host matches' : 'No hosts yet'}>
          {filtered ? 'Change the filters or the search.' : 'Approved hosts appear here with their heartbeat.'}
        </EmptyState>
      ) : (
        <div className="grid-wrap">
          <div
            role="table"
            aria-label="Hosts"
            aria-rowcount={list.total + 1}
            className={compact ? 'grid compact' : 'grid'}
          >
            <div role="rowgroup">
              <div role="row" className="grid-row grid-head" aria-rowindex={1}>
                <span role="columnheader">
                  <span className="visually-hidden">Select</span>
                </span>
                {COLUMNS.map((c) => (
                  <span role="columnheader" key={c.label} aria-sort={ariaSort(c.sort)}>
                    {c.sort ? (
                      <button type="button" className="sort" onClick={() => sortBy(c.sort!)}>
                        {c.label}
                        <span aria-hidden="true">
                          {query.sort === c.sort ? ' ▲' : query.sort === `-${c.sort}` ? ' ▼' : ''}
                        </span>
                      </button>
                    ) : (
                      c.label
                    )}
                  </span>
                ))}
              </div>
            </div>
            <div ref={scroller} className="grid-body" role="rowgroup" data-testid="hosts-scroller">
              <div style={{ height: virtual.getTotalSize(), position: 'relative' }}>
                {items.map((item) => {
                  const host = rows[list.ids[item.index]!];
                  return host ? (
                    <HostRow
                      key={item.key}
                      host={host}
                      index={item.index}
                      top={item.start}
                      height={rowHeight}
                      selected={selection.all || selected.has(host.id)}
                    />
                  ) : null;
                })}
              </div>
            </div>
          </div>
        </div>
      )}
      {confirm && (
        <ConfirmDialog
          title={`${VERB[confirm]} ${count} host${count === 1 ? '' : 's'}?`}
          confirmLabel={`${VERB[confirm]} ${count} host${count === 1 ? '' : 's'}`}
          danger={confirm !== 'approve'}
          onCancel={() => setConfirm(null)}
          onConfirm={async () => {
            await bulkSelected('table', confirm);
            setConfirm(null);
          }}
        >
          <BulkConsequence action={confirm} count={count} query={query} />
        </ConfirmDialog>
      )}
    </section>
  );
}

function BulkConsequence({ action, count, query }: { action: BulkAction; count: number; query: HostQuery }) {
  if (action === 'approve') {
    return (
      <p>
        Their verification codes were not compared with the codes on the hosts&apos; consoles. Approve them only if you
        expect every one of these {count} requests.
      </p>
    );
  }
  if (action === 'delete') {
    return <p>Their credentials stop working at once. To come back each must enrol again with a new token.</p>;
  }
  return (
    <p>
      Their heartbeats are refused until you enable them again.
      {query.status !== 'APPROVED' && ' Only approved hosts can be disabled; the others are reported.'}
    </p>
  );
}

function HostRow({
  host,
  index,
  top,
  height,
  selected,
}: {
  host: Host;
  index: number;
  top: number;
  height: number;
  selected: boolean;
}) {
  const { decide, deleteHost, toggle, showHost, threshold } = useApp((s) => ({
    decide: s.decide,
    deleteHost: s.deleteHost,
    toggle: s.toggleSelected,
    showHost: s.showHost,
    threshold: s.settings?.offline_threshold_seconds ?? 90,
  }));
  const now = useNow();
  const connectivity =
    host.status === 'APPROVED'
      ? connectivityOf(host.last_seen_at === null ? null : Date.parse(host.last_seen_at), now, threshold)
      : host.connectivity;
  const [confirm, setConfirm] = useState<'disable' | 'delete' | null>(null);
  return (
    <div
      role="row"
      aria-rowindex={index + 2}
      aria-selected={selected}
      className="grid-row"
      style={{ position: 'absolute', top, height, width: '100%' }}
      data-host-id={host.id}
    >
      <span role="cell">
        <input
          type="checkbox"
          checked={selected}
          onChange={() => undefined}
          onClick={(e: MouseEvent<HTMLInputElement>) => toggle('table', host.id, { range: e.shiftKey })}
          aria-label={`Select ${host.hostname}`}
        />
      </span>
      <span role="cell" className="strong truncate">
        <button type="button" className="link host-link" onClick={() => showHost(host.id)} title={host.hostname}>
          {host.hostname}
        </button>
        {host.conflict && <span className="flag flag-danger">conflict</span>}
        {host.alarm && <span className="flag flag-danger">{ALARM_SHORT[host.alarm]}</span>}
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
          <button type="button" onClick={() => setConfirm('disable')}>
            Disable<span className="visually-hidden"> {host.hostname}</span>
          </button>
        )}
        {host.status === 'DISABLED' && (
          <button type="button" onClick={() => void decide(host.id, 'enable')}>
            Enable<span className="visually-hidden"> {host.hostname}</span>
          </button>
        )}
        {(host.status === 'REJECTED' || host.status === 'PENDING') && (
          <button type="button" onClick={() => void decide(host.id, 'approve')}>
            Approve<span className="visually-hidden"> {host.hostname}</span>
          </button>
        )}
        <button type="button" className="danger-link" onClick={() => setConfirm('delete')}>
          Delete<span className="visually-hidden"> {host.hostname}</span>
        </button>
      </span>
      {confirm && (
        <HostActionConfirm
          host={host}
          action={confirm}
          onCancel={() => setConfirm(null)}
          onConfirm={async () => {
            await (confirm === 'delete' ? deleteHost(host.id) : decide(host.id, 'disable'));
            setConfirm(null);
          }}
        />
      )}
    </div>
  );
}
