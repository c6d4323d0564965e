import { useState } from 'react';
import type { ExpectedImportResult } from '../../../../shared/domain';
import { Modal } from '../../components/Modal';
import { useApp } from '../../stores/context';

const EXAMPLE =
  'hostname,serial,system_uuid,mac,labels,position\nr12-node-01,CZ2R120001,,b4:96:91:12:00:01,rack=r12,R12-U1';

/**
 * Paste or choose a CSV of expected machines. Auto-approve starts off: with it, anyone who
 * can make a machine report a listed serial gets in without a look. The answer keeps the
 * good rows and lists each refused one with its line and reason.
 */
export function ImportExpectedDialog({ onClose }: { onClose(): void }) {
  const importExpected = useApp((s) => s.importExpected);
  const [csv, setCsv] = useState('');
  const [autoApprove, setAutoApprove] = useState(false);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<ExpectedImportResult | null>(null);
  const [fileError, setFileError] = useState<string | null>(null);

  if (result) {
    return (
      <Modal title="Import expected hosts" onClose={onClose} wide>
        <div className="stack">
          <section aria-labelledby="import-result-title" className="summary">
            <h3 id="import-result-title" tabIndex={-1} data-autofocus-after>
              {result.imported} row{result.imported === 1 ? '' : 's'} imported
              {result.errors.length > 0 && `, ${result.errors.length} refused`}
            </h3>
            {result.errors.length > 0 ? (
              <>
                <p>The good rows were kept. Fix these lines and import them again:</p>
                <ul className="import-errors" aria-label="Refused rows">
                  {result.errors.map((e) => (
                    <li key={e.line}>
                      <span className="strong">Line {e.line}:</span> {e.reason}
                    </li>
                  ))}
                </ul>
              </>
            ) : (
              <p>Every row was imported.</p>
            )}
          </section>
          <div className="actions">
            <button type="button" onClick={() => setResult(null)}>
              Import more
            </button>
            <button type="button" className="primary" onClick={onClose}>
              Done
            </button>
          </div>
        </div>
      </Modal>
    );
  }

  return (
    <Modal title="Import expected hosts" onClose={onClose} wide>
      <form
        className="stack"
        onSubmit={async (e) => {
          e.preventDefault();
          if (!csv.trim()) return;
          setBusy(true);
          const answer = await importExpected(csv, autoApprove);
          setBusy(false);
          if (answer) setResult(answer);
        }}
      >
        <label className="field">
          <span>CSV</span>
          <textarea
            className="mono csv-input"
            rows={8}
            value={csv}
            placeholder={EXAMPLE}
            aria-describedby="csv-help"
            onChange={(e) => setCsv(e.target.value)}
          />
          <small id="csv-help" className="muted">
            A header row naming hostname, serial, system_uuid, mac, labels and position (any order); each machine needs
            a serial, system UUID or MAC. Labels separated by semicolons.
          </small>
        </label>
        <label className="field">
          <span>Or choose a file</span>
          <input
            type="file"
            accept=".csv,text/csv,text/plain"
            aria-describedby={fileError ? 'csv-file-error' : undefined}
            onChange={async (e) => {
              const file = e.target.files?.[0];
              if (!file) return;
              if (file.size > 4_000_000) return setFileError('That file is larger than 4 MB; split it in parts.');
              setFileError(null);
              setCsv(await file.text());
            }}
          />
          {fileError && (
            <small id="csv-file-error" className="error-text">
              {fileError}
            </small>
          )}
        </label>
        <label className="check">
          <input type="checkbox" checked={autoApprove} onChange={(e) => setAutoApprove(e.target.checked)} />
          <span>Auto-approve: each row&apos;s first matching request is approved without waiting in the queue</span>
        </label>
        {autoApprove && (
          <p className="warning-text" role="note">
            Anyone who can make a machine report a listed serial, system UUID or MAC is let in without a look. Use it
            only on a network you control, for machines you are racking now. Clones and reinstalls still wait.
          </p>
        )}
        <div className="actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={busy || !csv.trim()}>
            {busy ? 'Importing…' : 'Import'}
          </button>
        </div>
      </form>
    </Modal>
  );
}
