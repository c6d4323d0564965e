import { useEffect, useMemo, useState, type FormEvent } from 'react';
import type { AuditEntry } from '../../../../shared/domain';
import { EmptyState } from '../../components/EmptyState';
import { AbsoluteTime, RelativeTime } from '../../components/time';
import { auditToCsv } from '../../lib/audit-csv';
import { downloadText } from '../../lib/download';
import { useApp } from '../../stores/context';

/** One row of the trail: a single entry, or every entry of one bulk action (same batch_id). */
export interface AuditRow {
  key: string;
  first: AuditEntry;
  entries: AuditEntry[];
}

/** Consecutive entries that share a batch_id become one row. */
export function groupByBatch(entries: AuditEntry[]): AuditRow[] {
  const rows: AuditRow[] = [];
  for (const e of entries) {
    const last = rows.at(-1);
    if (e.batch_id && last && last.first.batch_id === e.batch_id) last.entries.push(e);
    else rows.push({ key: e.batch_id ? `b-${e.batch_id}-${e.id}` : String(e.id), first: e, entries: [e] });
  }
  return rows;
}

const targetName = (e: AuditEntry) => String(e.detail.hostname ?? e.detail.prefix ?? e.target_id ?? '');
const detailText = (e: AuditEntry) =>
  Object.entries(e.detail)
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' · ');
/** `datetime-local` text (local time) as ISO 8601, or undefined when empty. */
const isoOf = (local: string) => (local ? new Date(local).toISOString() : undefined);

export function AuditPage() {
  const { entries, loaded, cursor, loading, filter, loadAudit, loadMore, loadAll, setFilter, reportError } = useApp(
    (s) => ({
      entries: s.auditEntries,
      loaded: s.auditLoaded,
      cursor: s.auditCursor,
      loading: s.auditLoading,
      filter: s.auditFilter,
      loadAudit: s.loadAudit,
      loadMore: s.loadMoreAudit,
      loadAll: s.loadAllAudit,
      setFilter: s.setAuditFilter,
      reportError: s.reportError,
    }),
  );
  const [form, setForm] = useState({ target_id: '', actor: '', action: '', from: '', to: '' });
  const [exporting, setExporting] = useState<number | null>(null);
  useEffect(() => void loadAudit(), [loadAudit]);
  const rows = useMemo(() => groupByBatch(entries), [entries]);
  const filtered = Object.keys(filter).length > 0;

  function apply(e: FormEvent) {
    e.preventDefault();
    void setFilter({
      target_id: form.target_id.trim(),
      actor: form.actor.trim(),
      action: form.action.trim(),
      from: isoOf(form.from),
      to: isoOf(form.to),
    });
  }

  async function exportCsv() {
    setExporting(0);
    try {
      const all = await loadAll((n) => setExporting(n));
      downloadText(auditToCsv(all), `gatehouse-audit-${new Date().toISOString().slice(0, 10)}.csv`, 'text/csv');
    } catch (error) {
      reportError(error);
    } finally {
      setExporting(null);
    }
  }

  const field = (key: keyof typeof form, label: string, type = 'text', placeholder = '') => (
    <label className="field">
      <span>{label}</span>
      <input
        type={type}
        value={form[key]}
        placeholder={placeholder}
        onChange={(e) => setForm({ ...form, [key]: e.target.value })}
      />
    </label>
  );

  return (
    <>
      <div className="page-header">
        <h1 tabIndex={-1}>Audit trail</h1>
        <button type="button" onClick={() => void exportCsv()} disabled={exporting !== null}>
          {exporting === null ? 'Export CSV' : `Exporting… ${exporting} entries`}
        </button>
      </div>
      <form className="panel audit-filters" onSubmit={apply} aria-labelledby="audit-search-title">
        <h2 id="audit-search-title" className="visually-hidden">
          Search the audit trail
        </h2>
        {field('target_id', 'Target id', 'text', 'host or token id')}
        {field('actor', 'Actor', 'text', 'admin')}
        {field('action', 'Action', 'text', 'host.approve')}
        {field('from', 'From', 'datetime-local')}
        {field('to', 'To', 'datetime-local')}
        <div className="actions">
          <button type="submit" className="primary">
            Search
          </button>
          {filtered && (
            <button
              type="button"
              onClick={() => {
                setForm({ target_id: '', actor: '', action: '', from: '', to: '' });
                void setFilter({});
              }}
            >
              Clear
            </button>
          )}
        </div>
      </form>
      <section className="panel" aria-label="Audit entries">
        {!loaded ? (
          <p className="muted">Loading the audit trail…</p>
        ) : rows.length === 0 ? (
          <EmptyState title={filtered ? 'No entry matches' : 'Nothing recorded yet'}>
            {filtered ? 'Change or clear the search.' : 'Every admin action and host registration is listed here.'}
          </EmptyState>
        ) : (
          <table className="audit">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">What</th>
                <th scope="col">Target</th>
                <th scope="col">Detail</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <AuditRowView key={row.key} row={row} />
              ))}
            </tbody>
          </table>
        )}
        {cursor !== null && (
          <div className="actions">
            <button type="button" onClick={() => void loadMore()} disabled={loading}>
              {loading ? 'Loading…' : 'Load older entries'}
            </button>
          </div>
        )}
      </section>
    </>
  );
}

function AuditRowView({ row }: { row: AuditRow }) {
  const e = row.first;
  const batch = row.entries.length > 1;
  return (
    <tr>
      <td className="nowrap">
        <AbsoluteTime at={e.at} />{' '}
        <span className="muted">
          (<RelativeTime at={e.at} />)
        </span>
      </td>
      <td>{e.actor}</td>
      <td className="mono">
        {e.action}
        {batch && <span className="muted"> ×{row.entries.length}</span>}
      </td>
      <td className="mono truncate audit-target">
        {batch ? `${row.entries.length} ${e.target_type}s` : `${e.target_type} ${targetName(e)}`}
      </td>
      <td className="detail">
        {batch ? (
          <details>
            <summary>Bulk action: {row.entries.length} entries</summary>
            <ul className="batch-list">
              {row.entries.map((x) => (
                <li key={x.id} className="mono">
                  {targetName(x)} {detailText(x) && <span className="muted">— {detailText(x)}</span>}
                </li>
              ))}
            </ul>
          </details>
        ) : Object.keys(e.detail).length === 0 ? (
          <span className="muted">—</span>
        ) : (
          <details>
            <summary className="truncate">{detailText(e)}</summary>
            <pre className="detail-json">{JSON.stringify(e.detail, null, 2)}</pre>
          </details>
        )}
      </td>
    </tr>
  );
}
