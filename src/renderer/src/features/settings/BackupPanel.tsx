import { useEffect, useState, type FormEvent } from 'react';
import type { BackupSchedule, BackupState, GatehouseBridge } from '../../../../shared/api/bridge';
import type { IpcResult } from '../../../../shared/api/operations';
import { unwrapIpc as unwrap } from '../../api/ipc-client';

type Desktop = GatehouseBridge['desktop'];

const when = (iso: string) => new Date(iso).toLocaleString();

/**
 * Scheduled backups of this computer's store (desktop only): folder, daily or weekly,
 * how many to keep; the last result; "Back up now". In team mode the team server's
 * store is backed up where it runs, and the panel says so.
 */
export function BackupPanel({ desktop = window.gatehouse?.desktop }: { desktop?: Desktop }) {
  const [state, setState] = useState<BackupState | null>(null);
  const [folder, setFolder] = useState('');
  const [interval, setEvery] = useState<BackupSchedule['interval']>('daily');
  const [keep, setKeep] = useState('7');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!desktop) return;
    unwrap(desktop.backups.state()).then(
      (loaded) => {
        setState(loaded);
        if (loaded.schedule) {
          setFolder(loaded.schedule.folder);
          setEvery(loaded.schedule.interval);
          setKeep(String(loaded.schedule.keep));
        }
      },
      (e: Error) => setError(e.message),
    );
  }, [desktop]);
  if (!desktop || !state) return null;

  const run = async (step: () => Promise<IpcResult<BackupState>>) => {
    setBusy(true);
    setError(null);
    try {
      setState(await unwrap(step()));
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const save = (event: FormEvent) => {
    event.preventDefault();
    void run(() => desktop.backups.setSchedule({ folder: folder.trim(), interval, keep: Number(keep) }));
  };
  const last = state.last;

  return (
    <section className="panel stack" aria-labelledby="backup-title">
      <h2 id="backup-title">Scheduled backups</h2>
      {!state.available ? (
        <p className="muted">Attached to a team server: its store is backed up where it runs.</p>
      ) : (
        <form className="stack" onSubmit={save} aria-label="Backup schedule">
          <label className="field">
            <span>Folder</span>
            <input
              value={folder}
              placeholder="/home/me/gatehouse-backups"
              onChange={(e) => setFolder(e.target.value)}
            />
          </label>
          <div className="row">
            <label className="field">
              <span>Every</span>
              <select value={interval} onChange={(e) => setEvery(e.target.value as BackupSchedule['interval'])}>
                <option value="daily">day</option>
                <option value="weekly">week</option>
              </select>
            </label>
            <label className="field">
              <span>Keep the newest</span>
              <input type="number" min={1} max={365} value={keep} onChange={(e) => setKeep(e.target.value)} />
            </label>
          </div>
          <div className="actions">
            <button
              type="button"
              disabled={busy || !state.schedule}
              onClick={() => void run(() => desktop.backups.runNow())}
            >
              Back up now
            </button>
            <button type="submit" className="primary" disabled={busy || !folder}>
              Save schedule
            </button>
          </div>
        </form>
      )}
      {state.next_at && <p className="muted">Next backup: {when(state.next_at)}</p>}
      {last && (
        <p className={last.error ? 'error-text' : 'muted'} data-testid="last-backup">
          {last.error
            ? `Last backup failed (${when(last.at)}): ${last.error}`
            : `Last backup ${when(last.at)}: ${last.file}`}
        </p>
      )}
      {error && (
        <p className="error-text" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
