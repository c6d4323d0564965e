import { useEffect, useMemo, useState } from 'react';
import { EmptyState } from '../../components/EmptyState';
import { RelativeTime } from '../../components/time';
import { auditKind, auditToCsv } from '../../lib/audit-csv';
import { useApp } from '../../stores/context';

const KINDS = [
  ['all', 'Everything'],
  ['token', 'Tokens'],
  ['host', 'Hosts'],
  ['settings', 'Settings'],
] as const;

export function AuditPage() {
  const { entries, loaded, cursor, loading, loadAudit, loadMore, loadAll, reportError } = useApp((s) => ({
    entries: s.auditEntries,
    loaded: s.auditLoaded,
    cursor: s.auditCursor,
    loading: s.auditLoading,
    loadAudit: s.loadAudit,
    loadMore: s.loadMoreAudit,
    loadAll: s.loadAllAudit,
    reportError: s.reportError,
  }));
  const [kind, setKind] = useState<string>('all');
  const [exporting, setExporting] = useState<number | null>(null);
  useEffect(() => void loadAudit(), [loadAudit]);
  const shown = useMemo(() => entries.filter((e) => kind === 'all' || auditKind(e.action) === kind), [entries, kind]);

  async function exportCsv() {
    setExporting(0);
    try {
      const all = await loadAll((n) => setExporting(n));
      const blob = new Blob([auditToCsv(all.filter((e) => kind === 'all' || auditKind(e.action) === kind))], {
        type: 'text/csv',
      });
      const link = document.createElement('a');
      link.href = URL.createObjectURL(blob);
      link.download = `gatehouse-audit-${new Date().toISOString().slice(0, 10)}.csv`;
      link.click();
      URL.revokeObjectURL(link.href);
    } catch (error) {
      reportError(error);
    } finally {
      setExporting(null);
    }
  }

  return (
    <>
      <div className="page-header">
        <h1>Audit trail</h1>
        <div className="actions-left">
          <label className="field-inline">
            <span>Show</span>
            <select value={kind} onChange={(e) => setKind(e.target.value)}>
              {KINDS.map(([value, label]) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
            </select>
          </label>
          <button type="button" onClick={() => void exportCsv()} disabled={exporting !== null}>
            {exporting === null ? 'Export CSV' : `Exporting… ${exporting} entries`}
          </button>
        </div>
      </div>
      <section className="panel">
        {!loaded ? (
          <p className="muted">Loading the audit trail…</p>
        ) : shown.length === 0 ? (
          <EmptyState title="Nothing recorded yet">Every admin action and host registration is listed here.</EmptyState>
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
              {shown.map((e) => (
                <tr key={e.id}>
                  <td>
                    <RelativeTime at={e.at} />
                  </td>
                  <td>{e.actor}</td>
                  <td className="mono">{e.action}</td>
                  <td className="mono truncate">
                    {[e.target_type, String(e.detail.hostname ?? e.detail.prefix ?? e.target_id ?? '')].join(' ')}
                  </td>
                  <td className="detail">
                    {Object.entries(e.detail)
                      .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
                      .join(' · ')}
                  </td>
                </tr>
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
