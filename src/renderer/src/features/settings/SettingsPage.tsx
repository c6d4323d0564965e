import { useEffect, useState } from 'react';
import type { Settings } from '../../../../shared/domain';
import { useApp } from '../../stores/context';

export function SettingsPage() {
  const { settings, loadSettings } = useApp((s) => ({ settings: s.settings, loadSettings: s.loadSettings }));
  useEffect(() => void loadSettings(), [loadSettings]);
  if (!settings) return <p className="muted">Loading settings…</p>;
  // Keyed by the saved values, so the form starts again from whatever was last saved.
  return <SettingsForm key={JSON.stringify(settings)} settings={settings} />;
}

function SettingsForm({ settings }: { settings: Settings }) {
  const saveSettings = useApp((s) => s.saveSettings);
  const [prefix, setPrefix] = useState(settings.token_prefix);
  const [threshold, setThreshold] = useState(String(settings.offline_threshold_seconds));
  const prefixValid = /^[0-9A-HJKMNP-TV-Z]{1,12}$/.test(prefix);
  const thresholdValid = /^\d+$/.test(threshold) && Number(threshold) >= 10 && Number(threshold) <= 86_400;
  return (
    <>
      <div className="page-header">
        <h1>Settings</h1>
      </div>
      <form
        className="panel stack"
        onSubmit={(e) => {
          e.preventDefault();
          void saveSettings({ token_prefix: prefix, offline_threshold_seconds: Number(threshold) });
        }}
      >
        <label className="field">
          <span>Token prefix</span>
          <input
            value={prefix}
            onChange={(e) => setPrefix(e.target.value.toUpperCase())}
            aria-invalid={!prefixValid}
            aria-describedby="prefix-help"
          />
          <small id="prefix-help" className={prefixValid ? 'muted' : 'error-text'}>
            1–12 Crockford Base32 characters (no I, L, O or U). Existing tokens keep working.
          </small>
        </label>
        <label className="field">
          <span>Offline after (seconds without a heartbeat)</span>
          <input
            inputMode="numeric"
            value={threshold}
            onChange={(e) => setThreshold(e.target.value)}
            aria-invalid={!thresholdValid}
            aria-describedby="threshold-help"
          />
          <small id="threshold-help" className={thresholdValid ? 'muted' : 'error-text'}>
            Between 10 and 86400. Hosts beat every 30 s, so 90 s tolerates two missed beats.
          </small>
        </label>
        <div className="actions">
          <button type="submit" className="primary" disabled={!prefixValid || !thresholdValid}>
            Save settings
          </button>
        </div>
      </form>
    </>
  );
}
