import { useEffect, useMemo, useState } from 'react';
import type { ExpectedHost } from '../../../../shared/domain';
import { Labels } from '../../components/chips';
import { EmptyState } from '../../components/EmptyState';
import { AbsoluteTime } from '../../components/time';
import { useApp, useClient } from '../../stores/context';
import { ImportExpectedDialog } from './ImportExpectedDialog';

interface ImportGroup {
  importId: string;
  createdAt: string;
  createdBy: string;
  autoApprove: boolean;
  rows: ExpectedHost[];
}

/** Rows grouped by the import that brought them, newest import first, rows in file order. */
function groupByImport(rows: ExpectedHost[]): ImportGroup[] {
  const groups = new Map<string, ImportGroup>();
  for (const row of rows) {
    let group = groups.get(row.import_id);
    if (!group) {
      group = {
        importId: row.import_id,
        createdAt: row.created_at,
        createdBy: row.created_by,
        autoApprove: row.auto_approve,
        rows: [],
      };
      groups.set(row.import_id, group);
    }
    group.rows.push(row);
  }
  for (const g of groups.values()) g.rows.sort((a, b) => a.line - b.line);
  return [...groups.values()].sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
}

/** The hostnames of the hosts that claimed rows (a row names its host by id). */
function useClaimers(rows: ExpectedHost[]): Record<string, string> {
  const client = useClient();
  const reportError = useApp((s) => s.reportError);
  const [names, setNames] = useState<Record<string, string>>({});
  const wanted = useMemo(() => [...new Set(rows.flatMap((r) => (r.claimed_by ? [r.claimed_by] : [])))], [rows]);
  useEffect(() => {
    const missing = wanted.filter((id) => !(id in names));
    if (missing.length === 0) return;
    let cancelled = false;
    void (async () => {
      const found: Record<string, string> = {};
      for (let i = 0; i < missing.length; i += 200) {
        const ids = missing.slice(i, i + 200);
        const page = await client.api['hosts.list']({ ids, limit: ids.length } as never);
        for (const h of page.hosts) found[h.id] = h.hostname;
        // A deleted host keeps its claim: say so rather than asking again.
        for (const id of ids) found[id] ??= '(deleted host)';
      }
      if (!cancelled) setNames((n) => ({ ...n, ...found }));
    })().catch(reportError);
    return () => {
      cancelled = true;
    };
  }, [client, wanted, names, reportError]);
  return names;
}

/** Rack-scale enrolment: the machines Gatehouse expects, from CSV imports, and the sheets to enrol them. */
export function ExpectedHostsPage() {
  const { rows, total, loaded, loadExpected } = useApp((s) => ({
    rows: s.expectedHosts,
    total: s.expectedTotal,
    loaded: s.expectedLoaded,
    loadExpected: s.loadExpected,
  }));
  const [importing, setImporting] = useState(false);
  useEffect(() => void loadExpected(), [loadExpected]);
  const groups = useMemo(() => groupByImport(rows), [rows]);
  const claimers = useClaimers(rows);
  return (
    <>
      <div className="page-header">
        <h1 tabIndex={-1}>Expected hosts</h1>
        <button type="button" className="primary" onClick={() => setImporting(true)}>
          Import CSV…
        </button>
      </div>
      <p className="muted intro">
        Import the machines a rack should hold. A request whose serial, system UUID or MAC matches exactly one unclaimed
        row takes that row&apos;s hostname and labels; a match on a row another host already claimed raises a clone
        alarm.
      </p>
      {!loaded ? (
        <p className="muted">Loading expected hosts…</p>
      ) : total === 0 ? (
        <EmptyState title="No expected hosts yet">
          Import a CSV with the columns hostname, serial, system_uuid, mac, labels and position.
        </EmptyState>
      ) : (
        groups.map((g) => <ImportSection key={g.importId} group={g} claimers={claimers} />)
      )}
      {importing && <ImportExpectedDialog onClose={() => setImporting(false)} />}
    </>
  );
}

function ImportSection({ group, claimers }: { group: ImportGroup; claimers: Record<string, string> }) {
  const showHost = useApp((s) => s.showHost);
  const claimed = group.rows.filter((r) => r.claimed_by).length;
  const titleId = `import-${group.importId}`;
  return (
    <section className="panel" aria-labelledby={titleId}>
      <header className="panel-header">
        <h2 id={titleId}>
          Import of <AbsoluteTime at={group.createdAt} />{' '}
          <span className="muted">
            · {group.rows.length} row{group.rows.length === 1 ? '' : 's'}, {claimed} claimed
            {group.autoApprove ? ' · auto-approve' : ''}
          </span>
        </h2>
        <PrintSheetButton importId={group.importId} unclaimed={group.rows.length - claimed} />
      </header>
      {/* Scrolls sideways in a narrow window: focusable, so the keyboard can scroll it too. */}
      <div className="table-wrap" tabIndex={0} role="region" aria-label={`Rows of the import of ${group.createdAt}`}>
        <table className="audit expected-table">
          <caption className="visually-hidden">Rows of the import of {group.createdAt}</caption>
          <thead>
            <tr>
              <th scope="col">Line</th>
              <th scope="col">Position</th>
              <th scope="col">Hostname</th>
              <th scope="col">Serial</th>
              <th scope="col">System UUID</th>
              <th scope="col">MAC</th>
              <th scope="col">Labels</th>
              <th scope="col">State</th>
            </tr>
          </thead>
          <tbody>
            {group.rows.map((r) => (
              <tr key={r.id} data-row-hostname={r.hostname}>
                <td className="tabular">{r.line}</td>
                <td>{r.position ?? '—'}</td>
                <td className="strong">{r.hostname}</td>
                <td className="mono">{r.serial ?? '—'}</td>
                <td className="mono">{r.system_uuid ?? '—'}</td>
                <td className="mono">{r.mac ?? '—'}</td>
                <td>
                  <Labels labels={r.labels} />
                </td>
                <td>
                  {r.claimed_by ? (
                    <>
                      <span className="chip chip-approved">Claimed</span> by{' '}
                      <button type="button" className="link" onClick={() => showHost(r.claimed_by)}>
                        {claimers[r.claimed_by] ?? 'a host'}
                      </button>
                    </>
                  ) : (
                    <span className="chip">Unclaimed</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

/**
 * The printable sheet (one card per unclaimed row, a QR of its join command each). The
 * desktop app saves it as a PDF; a browser opens it in a new window and prints it.
 */
function PrintSheetButton({ importId, unclaimed }: { importId: string; unclaimed: number }) {
  const { notify, reportError } = useApp((s) => ({ notify: s.notify, reportError: s.reportError }));
  const [busy, setBusy] = useState(false);
  const desktop = window.gatehouse?.desktop;
  async function print() {
    if (desktop?.saveSheetPdf) {
      setBusy(true);
      try {
        const result = await desktop.saveSheetPdf({ import_id: importId });
        if (!result.ok) notify('error', result.error.message);
        else if (result.value.file) notify('info', `Enrolment sheet saved to ${result.value.file}.`);
      } catch (error) {
        reportError(error);
      }
      setBusy(false);
      return;
    }
    // Same origin and the session cookie: the server answers the sheet's HTML itself.
    const sheet = window.open(`/api/admin/expected-hosts/sheet?import_id=${encodeURIComponent(importId)}`, '_blank');
    if (!sheet)
      return notify('error', 'The browser blocked the new window; allow pop-ups for Gatehouse and try again.');
    sheet.addEventListener('load', () => {
      sheet.focus();
      sheet.print();
    });
  }
  return (
    <button type="button" disabled={busy || unclaimed === 0} onClick={() => void print()}>
      {busy ? 'Saving…' : desktop ? 'Save enrolment sheet as PDF' : 'Print enrolment sheet'}
      <span className="visually-hidden"> for this import</span>
    </button>
  );
}
