import { useVirtualizer } from '@tanstack/react-virtual';
import { useMemo, useRef, useState } from 'react';
import type { Host } from '../../../../shared/domain';
import { Labels } from '../../components/chips';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { EmptyState } from '../../components/EmptyState';
import { formatWaiting } from '../../lib/time-format';
import { useApp, useNow } from '../../stores/context';

type Pending = { action: 'reject'; ids: string[]; label: string } | null;

/** Requests waiting for a decision, oldest first, with the verification code to read back to the rack. */
export function ApprovalQueue() {
  const { hosts, selectedIds, unseen, setSelected, bulkDecide, markSeen } = useApp((s) => ({
    hosts: s.hosts,
    selectedIds: s.selectedIds,
    unseen: s.unseenHostIds,
    setSelected: s.setSelected,
    bulkDecide: s.bulkDecide,
    markSeen: s.markHostsSeen,
  }));
  const pending = useMemo(
    () => hosts.filter((h) => h.status === 'PENDING').sort((a, b) => a.registered_at.localeCompare(b.registered_at)),
    [hosts],
  );
  // Ids per token prefix, once per change: "approve all from this token" without an O(n²) scan per row.
  const byToken = useMemo(() => {
    const map = new Map<string | null, string[]>();
    for (const h of pending) map.set(h.token_prefix, [...(map.get(h.token_prefix) ?? []), h.id]);
    return map;
  }, [pending]);
  const [confirm, setConfirm] = useState<Pending>(null);
  const selected = useMemo(() => new Set(selectedIds), [selectedIds]);
  const allSelected = pending.length > 0 && pending.every((h) => selected.has(h.id));
  const scroller = useRef<HTMLDivElement>(null);
  // A burst of thousands of requests (a whole hall reinstalled) stays smooth: only visible rows exist.
  // eslint-disable-next-line react-hooks/incompatible-library
  const virtual = useVirtualizer({
    count: pending.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => 96,
    gap: 8,
    overscan: 6,
    getItemKey: (index) => pending[index]!.id,
  });

  return (
    <section className="panel" aria-labelledby="queue-title" onFocus={() => unseen.length && markSeen()}>
      <header className="panel-header">
        <h2 id="queue-title">
          Approval queue <span className="count">{pending.length}</span>
          {unseen.length > 0 && (
            <span className="badge" role="status">
              {unseen.length} new
            </span>
          )}
        </h2>
        {pending.length > 0 && (
          <div className="actions-left">
            <label className="check">
              <input
                type="checkbox"
                checked={allSelected}
                onChange={(e) => setSelected(e.target.checked ? pending.map((h) => h.id) : [])}
              />
              <span>Select all</span>
            </label>
            <button
              type="button"
              className="primary"
              disabled={selectedIds.length === 0}
              onClick={() => void bulkDecide('approve', selectedIds)}
            >
              Approve selected ({selectedIds.length})
            </button>
            <button
              type="button"
              disabled={selectedIds.length === 0}
              onClick={() =>
                setConfirm({ action: 'reject', ids: selectedIds, label: `${selectedIds.length} selected hosts` })
              }
            >
              Reject selected
            </button>
          </div>
        )}
      </header>
      {pending.length === 0 ? (
        <EmptyState title="No host is waiting">
          Hosts that register with a token appear here within a second. Use <strong>Add Host</strong> to make a token.
        </EmptyState>
      ) : (
        <div ref={scroller} className="queue-scroller" data-testid="queue-scroller">
          <ul className="queue" aria-label="Pending requests" style={{ height: virtual.getTotalSize() }}>
            {virtual.getVirtualItems().map((item) => {
              const h = pending[item.index]!;
              return (
                <QueueItem
                  key={item.key}
                  host={h}
                  index={item.index}
                  total={pending.length}
                  top={item.start}
                  measure={virtual.measureElement}
                  isNew={unseen.includes(h.id)}
                  onRejectMany={(ids, label) => setConfirm({ action: 'reject', ids, label })}
                  sameToken={byToken.get(h.token_prefix) ?? [h.id]}
                />
              );
            })}
          </ul>
        </div>
      )}
      {confirm && (
        <ConfirmDialog
          title={`Reject ${confirm.label}?`}
          confirmLabel="Reject"
          danger
          reasonLabel="Reason (shown on the host's console)"
          onCancel={() => setConfirm(null)}
          onConfirm={async (reason) => {
            await bulkDecide('reject', confirm.ids, reason || undefined);
            setConfirm(null);
          }}
        >
          They can still be approved later from the hosts table.
        </ConfirmDialog>
      )}
    </section>
  );
}

interface QueueItemProps {
  host: Host;
  index: number;
  total: number;
  top: number;
  measure(element: Element | null): void;
  isNew: boolean;
  sameToken: string[];
  onRejectMany(ids: string[], label: string): void;
}

function QueueItem({ host, index, total, top, measure, isNew, sameToken, onRejectMany }: QueueItemProps) {
  const now = useNow();
  const { selected, toggle, decide, bulkDecide } = useApp((s) => ({
    selected: s.selectedIds.includes(host.id),
    toggle: s.toggleSelected,
    decide: s.decide,
    bulkDecide: s.bulkDecide,
  }));
  const addresses = [...new Set([host.remote_addr, ...host.ips])];
  return (
    <li
      ref={measure}
      data-index={index}
      aria-setsize={total}
      aria-posinset={index + 1}
      style={{ position: 'absolute', top, left: 0, right: 0 }}
      className={isNew ? 'queue-item is-new' : 'queue-item'}
      aria-label={`Request from ${host.hostname}`}
      data-host-id={host.id}
    >
      <input
        type="checkbox"
        checked={selected}
        onChange={() => toggle(host.id)}
        aria-label={`Select ${host.hostname}`}
      />
      <div className="queue-main">
        <p className="strong">
          {host.hostname}
          {host.replaces && (
            <span className="reenrol" title="This machine is already enrolled; approving retires the old host">
              re-enrolment of {host.replaces_hostname ?? host.replaces}
            </span>
          )}
        </p>
        <p className="muted">
          {addresses.join(', ')} · {[host.os, host.arch].filter(Boolean).join(' ') || 'unknown OS'} · token{' '}
          <span className="mono">{host.token_prefix ?? '—'}</span> ·{' '}
          <span className="tabular">{formatWaiting(Date.parse(host.registered_at), now)}</span>
        </p>
        <Labels labels={host.labels} />
      </div>
      <div className="code" aria-label={`Verification code ${host.verification_code.split('').join(' ')}`}>
        <span>{host.verification_code.slice(0, 3)}</span>
        <span>{host.verification_code.slice(3)}</span>
      </div>
      <div className="queue-actions">
        <button
          type="button"
          className="primary"
          onClick={() => void decide(host.id, 'approve')}
          aria-label={`Approve ${host.hostname}`}
        >
          Approve
        </button>
        <button
          type="button"
          onClick={() => onRejectMany([host.id], host.hostname)}
          aria-label={`Reject ${host.hostname}`}
        >
          Reject
        </button>
        {sameToken.length > 1 && (
          <button type="button" className="link" onClick={() => void bulkDecide('approve', sameToken)}>
            Approve all {sameToken.length} from {host.token_prefix}
          </button>
        )}
      </div>
    </li>
  );
}
