import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useMemo, useRef, useState, type MouseEvent } from 'react';
import type { Host } from '../../../../shared/domain';
import { Labels } from '../../components/chips';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { EmptyState } from '../../components/EmptyState';
import { formatWaiting } from '../../lib/time-format';
import { useApp, useClient, useNow } from '../../stores/context';
import { ALARM_SHORT, ALARM_TEXT } from '../../stores/rack-slice';

/** Approving more than this many at once asks first: nobody compared their codes. */
export const CONFIRM_APPROVE_OVER = 5;

type Confirm =
  | { kind: 'approve-selected'; count: number }
  | { kind: 'reject-selected'; count: number }
  | { kind: 'reject-one'; id: string; hostname: string }
  | { kind: 'approve-token'; tokenId: string; prefix: string; count: number }
  | { kind: 'approve-expected'; count: number }
  | null;

type Entry =
  { kind: 'group'; tokenId: string | null; prefix: string | null; key: string } | { kind: 'host'; id: string };

/** Requests waiting for a decision, oldest first, grouped by token, with the verification code to read back. */
export function ApprovalQueue() {
  const client = useClient();
  const { list, rows, selection, count, unseen, tokens, setQuery, loadMore, setVisible, bulkSelected, bulkAction } =
    useApp((s) => ({
      list: s.lists.queue,
      rows: s.hostsById,
      selection: s.selection.queue,
      count: s.selectionCount('queue'),
      unseen: s.unseenHostIds,
      tokens: s.tokens,
      setQuery: s.setQuery,
      loadMore: s.loadMore,
      setVisible: s.setVisible,
      bulkSelected: s.bulkSelected,
      bulkAction: s.bulkAction,
    }));
  const { selectAll, markSeen, reportError, notify } = useApp((s) => ({
    selectAll: s.selectAllMatching,
    markSeen: s.markHostsSeen,
    reportError: s.reportError,
    notify: s.notify,
  }));
  const [confirm, setConfirm] = useState<Confirm>(null);
  // A new group starts wherever the token changes: a rack enrolled from one token reads as one block.
  const entries = useMemo(() => {
    const out: Entry[] = [];
    let last: string | null | undefined;
    for (const id of list.ids) {
      const h = rows[id];
      if (!h) continue;
      if (h.token_id !== last) out.push({ kind: 'group', tokenId: h.token_id, prefix: h.token_prefix, key: `g-${id}` });
      last = h.token_id;
      out.push({ kind: 'host', id });
    }
    return out;
  }, [list.ids, rows]);
  const scroller = useRef<HTMLDivElement>(null);
  // eslint-disable-next-line react-hooks/incompatible-library
  const virtual = useVirtualizer({
    count: entries.length,
    getScrollElement: () => scroller.current,
    estimateSize: (i) => (entries[i]?.kind === 'group' ? 44 : 96),
    gap: 8,
    overscan: 8,
    getItemKey: (i) => {
      const e = entries[i]!;
      return e.kind === 'group' ? e.key : e.id;
    },
  });
  const items = virtual.getVirtualItems();
  const lastIndex = items.at(-1)?.index ?? 0;
  useEffect(() => {
    setVisible(
      'queue',
      items.flatMap((i) => (entries[i.index]?.kind === 'host' ? [(entries[i.index] as { id: string }).id] : [])),
    );
    if (lastIndex >= entries.length - 10) void loadMore('queue');
  }, [items, entries, lastIndex, loadMore, setVisible]);

  // Keyboard approval: when a request leaves the queue, focus moves to the next one's Approve.
  const focusAfter = useRef<{ id: string; at: number } | null>(null);
  useEffect(() => {
    const pending = focusAfter.current;
    // Only once the decided request has actually left the list.
    if (pending === null || list.ids.includes(pending.id)) return;
    focusAfter.current = null;
    const at = pending.at;
    const id = list.ids[Math.min(at, list.ids.length - 1)];
    if (!id) return document.getElementById('queue-title')?.focus();
    const index = entries.findIndex((e) => e.kind === 'host' && e.id === id);
    if (index >= 0) virtual.scrollToIndex(index, { align: 'auto' });
    requestAnimationFrame(() =>
      scroller.current?.querySelector<HTMLElement>(`[data-host-id="${id}"] [data-approve]`)?.focus(),
    );
  }, [list.ids, entries, virtual]);

  const tokenDescription = (id: string | null) => tokens.find((t) => t.id === id)?.description;
  const selected = new Set(selection.ids);

  async function askApproveToken(tokenId: string, prefix: string) {
    try {
      const page = await client.api['hosts.list']({ status: 'PENDING', token_id: tokenId, limit: 1 });
      setConfirm({ kind: 'approve-token', tokenId, prefix, count: page.total_count });
    } catch (error) {
      reportError(error);
    }
  }

  /** Every waiting request that matched an expected row and raised no alarm (what the server's filter takes). */
  async function approveExpected() {
    try {
      let count = 0;
      let cursor: string | null = null;
      do {
        const page: { hosts: Host[]; next_cursor: string | null } = await client.api['hosts.list']({
          status: 'PENDING',
          limit: 500,
          ...(cursor ? { cursor } : {}),
        });
        count += page.hosts.filter((h) => h.expected && !h.alarm).length;
        cursor = page.next_cursor;
      } while (cursor !== null);
      if (count === 0) return notify('info', 'No waiting request matches an expected host.');
      if (count > CONFIRM_APPROVE_OVER) return setConfirm({ kind: 'approve-expected', count });
      await bulkAction('approve', { filter: { status: 'PENDING', expected_only: true } });
    } catch (error) {
      reportError(error);
    }
  }

  return (
    <section
      className="panel"
      aria-labelledby="queue-title"
      // Seen once the admin has been in the queue and moved on: clearing the badge while they
      // click would shift the layout under the pointer.
      onBlur={(e) => {
        if (unseen.length && !e.currentTarget.contains(e.relatedTarget as Node | null)) markSeen();
      }}
    >
      <header className="panel-header">
        <h2 id="queue-title" tabIndex={-1}>
          Approval queue <span className="count">{list.total}</span>
          {unseen.length > 0 && (
            <span className="badge" role="status">
              {unseen.length} new
            </span>
          )}
        </h2>
        <div className="actions-left">
          <label className="field-inline">
            <span>Token</span>
            <select
              value={list.query.token_id ?? ''}
              onChange={(e) => void setQuery('queue', { token_id: e.target.value || undefined })}
            >
              <option value="">Any token</option>
              {tokens.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.prefix}… {t.description}
                </option>
              ))}
            </select>
          </label>
          {list.total > 0 && (
            <>
              <label className="check">
                <input type="checkbox" checked={selection.all} onChange={(e) => selectAll('queue', e.target.checked)} />
                <span>Select all {list.total} waiting</span>
              </label>
              <button
                type="button"
                className="primary"
                disabled={count === 0}
                onClick={() =>
                  count > CONFIRM_APPROVE_OVER
                    ? setConfirm({ kind: 'approve-selected', count })
                    : void bulkSelected('queue', 'approve')
                }
              >
                Approve selected ({count})
              </button>
              <button
                type="button"
                disabled={count === 0}
                onClick={() => setConfirm({ kind: 'reject-selected', count })}
              >
                Reject selected
              </button>
              <button type="button" onClick={() => void approveExpected()}>
                Approve all expected
              </button>
            </>
          )}
        </div>
      </header>
      {list.loaded && list.total === 0 ? (
        <EmptyState title="No host is waiting">
          Hosts that register with a token appear here within a second. Use <strong>Add Host</strong> to make a token.
        </EmptyState>
      ) : !list.loaded ? (
        <p className="muted">Loading the queue…</p>
      ) : (
        <div ref={scroller} className="queue-scroller" data-testid="queue-scroller">
          <ul className="queue" aria-label="Pending requests" style={{ height: virtual.getTotalSize() }}>
            {items.map((item) => {
              const entry = entries[item.index]!;
              if (entry.kind === 'group') {
                return (
                  <li
                    key={item.key}
                    ref={virtual.measureElement}
                    data-index={item.index}
                    className="queue-group"
                    style={{ position: 'absolute', top: item.start, left: 0, right: 0 }}
                  >
                    <span>
                      Token <span className="mono">{entry.prefix ?? '—'}</span>
                      {tokenDescription(entry.tokenId) && (
                        <span className="muted"> · {tokenDescription(entry.tokenId)}</span>
                      )}
                    </span>
                    {entry.tokenId && (
                      <button
                        type="button"
                        className="link"
                        onClick={() => void askApproveToken(entry.tokenId!, entry.prefix ?? '')}
                      >
                        Approve all from {entry.prefix}…
                      </button>
                    )}
                  </li>
                );
              }
              const h = rows[entry.id]!;
              return (
                <QueueItem
                  key={item.key}
                  host={h}
                  index={item.index}
                  top={item.start}
                  measure={virtual.measureElement}
                  isNew={unseen.includes(h.id)}
                  selected={selection.all || selected.has(h.id)}
                  onDecided={() => (focusAfter.current = { id: h.id, at: list.ids.indexOf(h.id) })}
                  onReject={() => setConfirm({ kind: 'reject-one', id: h.id, hostname: h.hostname })}
                />
              );
            })}
          </ul>
          {list.loading && <p className="muted">Loading more…</p>}
        </div>
      )}
      {confirm?.kind === 'approve-selected' && (
        <ConfirmDialog
          title={`Approve ${confirm.count} hosts?`}
          confirmLabel={`Approve ${confirm.count} hosts`}
          onCancel={() => setConfirm(null)}
          onConfirm={async () => {
            await bulkSelected('queue', 'approve');
            setConfirm(null);
          }}
        >
          <p>
            Their verification codes were not compared with the codes on the hosts&apos; consoles. Approve them only if
            you expect every one of these {confirm.count} requests.
          </p>
        </ConfirmDialog>
      )}
      {confirm?.kind === 'approve-token' && (
        <ConfirmDialog
          title={`Approve all ${confirm.count} from ${confirm.prefix}…?`}
          confirmLabel={`Approve ${confirm.count} hosts`}
          onCancel={() => setConfirm(null)}
          onConfirm={async () => {
            await bulkAction('approve', { filter: { status: 'PENDING', token_id: confirm.tokenId } });
            setConfirm(null);
          }}
        >
          <p>
            Every request waiting from this token is approved, including any not on screen. Their verification codes
            were not compared.
          </p>
        </ConfirmDialog>
      )}
      {confirm?.kind === 'approve-expected' && (
        <ConfirmDialog
          title={`Approve ${confirm.count} expected hosts?`}
          confirmLabel={`Approve ${confirm.count} hosts`}
          onCancel={() => setConfirm(null)}
          onConfirm={async () => {
            await bulkAction('approve', { filter: { status: 'PENDING', expected_only: true } });
            setConfirm(null);
          }}
        >
          <p>
            Every waiting request that matched a row of an import is approved under that row&apos;s hostname, including
            any not on screen. Requests with an alarm stay in the queue. Their verification codes were not compared.
          </p>
        </ConfirmDialog>
      )}
      {(confirm?.kind === 'reject-selected' || confirm?.kind === 'reject-one') && (
        <ConfirmDialog
          title={
            confirm.kind === 'reject-one' ? `Reject ${confirm.hostname}?` : `Reject ${confirm.count} selected hosts?`
          }
          confirmLabel="Reject"
          danger
          reasonLabel="Reason (shown on the host's console)"
          onCancel={() => setConfirm(null)}
          onConfirm={async (reason) => {
            if (confirm.kind === 'reject-one') await bulkAction('reject', { ids: [confirm.id] }, reason || undefined);
            else await bulkSelected('queue', 'reject', reason || undefined);
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
  top: number;
  measure(element: Element | null): void;
  isNew: boolean;
  selected: boolean;
  onDecided(): void;
  onReject(): void;
}

function QueueItem({ host, index, top, measure, isNew, selected, onDecided, onReject }: QueueItemProps) {
  const now = useNow();
  const { toggle, decide, showHost } = useApp((s) => ({
    toggle: s.toggleSelected,
    decide: s.decide,
    showHost: s.showHost,
  }));
  const addresses = [...new Set([host.remote_addr, ...host.ips])];
  const code = host.verification_code;
  return (
    <li
      ref={measure}
      data-index={index}
      style={{ position: 'absolute', top, left: 0, right: 0 }}
      className={isNew ? 'queue-item is-new' : 'queue-item'}
      aria-label={`Request from ${host.hostname}`}
      data-host-id={host.id}
    >
      <input
        type="checkbox"
        checked={selected}
        onChange={() => undefined}
        onClick={(e: MouseEvent<HTMLInputElement>) => toggle('queue', host.id, { range: e.shiftKey })}
        aria-label={`Select ${host.hostname}`}
      />
      <div className="queue-main">
        <p className="strong">
          {host.hostname}
          {host.replaces && (
            <span className="flag flag-warning">re-enrolment of {host.replaces_hostname ?? host.replaces}</span>
          )}
          {host.conflict && <span className="flag flag-danger">conflict: another request for this machine</span>}
          {host.alarm && <span className="flag flag-danger">alarm: {ALARM_SHORT[host.alarm]}</span>}
          {host.expected ? (
            <span className="flag flag-ok">
              expected ({host.expected.hostname}
              {host.expected.position ? `, ${host.expected.position}` : ''})
            </span>
          ) : (
            <span className="flag flag-muted">unexpected</span>
          )}
        </p>
        {host.alarm && (
          <p className="alarm-note" role="note">
            {ALARM_TEXT[host.alarm]}
          </p>
        )}
        <p className="muted">
          {addresses.join(', ')} · {[host.os, host.arch].filter(Boolean).join(' ') || 'unknown OS'} ·{' '}
          <span className="tabular">{formatWaiting(Date.parse(host.registered_at), now)}</span>
        </p>
        <Labels labels={host.labels} />
      </div>
      <p className="code" data-testid="verification-code">
        <span className="visually-hidden">Verification code {code.split('').join(' ')}</span>
        <span aria-hidden="true">{code.slice(0, 3)}</span>
        <span aria-hidden="true">{code.slice(3)}</span>
      </p>
      <div className="queue-actions">
        <button
          type="button"
          className="primary"
          data-approve
          onClick={async () => {
            onDecided();
            await decide(host.id, 'approve');
          }}
        >
          Approve<span className="visually-hidden"> {host.hostname}</span>
        </button>
        <button type="button" onClick={onReject}>
          Reject<span className="visually-hidden"> {host.hostname}</span>
        </button>
        <button type="button" className="link" onClick={() => showHost(host.id)}>
          Details<span className="visually-hidden"> of {host.hostname}</span>
        </button>
      </div>
    </li>
  );
}
