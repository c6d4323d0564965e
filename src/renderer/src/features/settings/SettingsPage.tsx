import { useEffect, useState } from 'react';
import type { Settings, SystemInfo } from '../../../../shared/domain';
import { TOKEN_PREFIX_PATTERN } from '../../../../shared/token-format';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { CopyButton } from '../../components/CopyButton';
import { useApp, useClient } from '../../stores/context';
import { CredentialsPanel } from '../integrations/CredentialsPanel';
import { MailSettingsPanel } from '../integrations/MailSettingsPanel';
import { WebhooksPanel } from '../integrations/WebhooksPanel';
import { BackupPanel } from './BackupPanel';
import { TeamServerPanel } from './TeamServerPanel';

export function SettingsPage() {
  const { settings, loadSettings } = useApp((s) => ({ settings: s.settings, loadSettings: s.loadSettings }));
  const system = useSystemInfo(settings);
  useEffect(() => void loadSettings(), [loadSettings]);
  if (!settings || !system.info) return <p className="muted">Loading settings…</p>;
  return (
    <>
      <div className="page-header">
        <h1 tabIndex={-1}>Settings</h1>
      </div>
      {/* Keyed by the saved values, so the form starts again from whatever was last saved. */}
      <SettingsForm
        key={JSON.stringify(settings)}
        settings={settings}
        addresses={system.info.addresses}
        lanLocked={system.info.lan_source === 'command_line'}
      />
      <CertificatePanel info={system.info} onRegenerated={system.set} />
      <CredentialsPanel />
      <WebhooksPanel />
      <MailSettingsPanel />
      {window.gatehouse?.desktop && <TeamServerPanel />}
      {window.gatehouse?.desktop && <BackupPanel />}
    </>
  );
}

/** system.info, fetched again whenever the settings change (a regenerated key publishes a settings event). */
function useSystemInfo(settings: Settings | null) {
  const client = useClient();
  const reportError = useApp((s) => s.reportError);
  const [info, set] = useState<SystemInfo | null>(null);
  useEffect(() => {
    client.api['system.info']({}).then(set, reportError);
  }, [client, reportError, settings]);
  return { info, set };
}

function SettingsForm({
  settings,
  addresses,
  lanLocked,
}: {
  settings: Settings;
  addresses: string[];
  /** Headless: the command line decides the LAN listener; the fields are shown, not editable. */
  lanLocked: boolean;
}) {
  const { saveSettings, notify } = useApp((s) => ({ saveSettings: s.saveSettings, notify: s.notify }));
  const [prefix, setPrefix] = useState(settings.token_prefix);
  const [threshold, setThreshold] = useState(String(settings.offline_threshold_seconds));
  const [port, setPort] = useState(String(settings.lan_port));
  const [bind, setBind] = useState(settings.lan_bind);
  const [advertise, setAdvertise] = useState(settings.advertise_url ?? '');
  const [disableOffline, setDisableOffline] = useState(settings.disable_offline_after_days !== null);
  const [disableDays, setDisableDays] = useState(String(settings.disable_offline_after_days ?? 30));
  const disableDaysValid =
    !disableOffline || (/^\d+$/.test(disableDays) && Number(disableDays) >= 1 && Number(disableDays) <= 3650);
  const prefixValid = TOKEN_PREFIX_PATTERN.test(prefix);
  const thresholdValid = /^\d+$/.test(threshold) && Number(threshold) >= 10 && Number(threshold) <= 86_400;
  const portValid = /^\d+$/.test(port) && Number(port) >= 1 && Number(port) <= 65_535;
  const advertiseValid = advertise === '' || /^https?:\/\/[^/\s]+$/.test(advertise);
  const valid = prefixValid && thresholdValid && portValid && advertiseValid && disableDaysValid;
  return (
    <form
      className="panel stack"
      aria-label="Settings"
      onSubmit={(e) => {
        e.preventDefault();
        const next: Settings = {
          token_prefix: prefix,
          offline_threshold_seconds: Number(threshold),
          lan_port: Number(port),
          lan_bind: bind,
          advertise_url: advertise === '' ? null : advertise,
          disable_offline_after_days: disableOffline ? Number(disableDays) : null,
        };
        // Only what changed: headless, the LAN fields belong to the command line and may not be sent at all.
        const patch = Object.fromEntries(
          Object.entries(next).filter(([k, v]) => settings[k as keyof Settings] !== v),
        ) as Partial<Settings>;
        if (Object.keys(patch).length === 0) return notify('info', 'Nothing changed.');
        void saveSettings(patch);
      }}
    >
      <div className="row">
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
      </div>
      <fieldset className="stack">
        <legend>Silent hosts</legend>
        <label className="check">
          <input type="checkbox" checked={disableOffline} onChange={(e) => setDisableOffline(e.target.checked)} />
          <span>Disable approved hosts that stay offline for a long time (off: they stay approved)</span>
        </label>
        {disableOffline && (
          <label className="field">
            <span>Disable after this many days offline</span>
            <input
              inputMode="numeric"
              value={disableDays}
              onChange={(e) => setDisableDays(e.target.value)}
              aria-invalid={!disableDaysValid}
              aria-describedby="disable-days-help"
            />
            <small id="disable-days-help" className={disableDaysValid ? 'muted' : 'error-text'}>
              Between 1 and 3650. Each one is audited; enable a host again from its details.
            </small>
          </label>
        )}
      </fieldset>
      <h2>LAN listener</h2>
      {lanLocked && (
        <p className="muted" role="note">
          Set by the command line here (--port, --bind, --advertise-url): restart with other flags to change them.
        </p>
      )}
      <div className="row">
        <label className="field">
          <span>Port</span>
          <input
            inputMode="numeric"
            value={port}
            disabled={lanLocked}
            onChange={(e) => setPort(e.target.value)}
            aria-invalid={!portValid}
          />
        </label>
        <label className="field">
          <span>Bind address</span>
          <select value={bind} disabled={lanLocked} onChange={(e) => setBind(e.target.value)}>
            <option value="0.0.0.0">Every IPv4 interface (0.0.0.0)</option>
            <option value="::">Every interface, IPv6 too (::)</option>
            {addresses.map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </select>
        </label>
      </div>
      <label className="field">
        <span>Advertised URL (what hosts are told to use)</span>
        <input
          list="advertise-choices"
          disabled={lanLocked}
          value={advertise}
          placeholder="automatic: this machine's first LAN address"
          onChange={(e) => setAdvertise(e.target.value)}
          aria-invalid={!advertiseValid}
          aria-describedby="advertise-help"
        />
        <datalist id="advertise-choices">
          {addresses.map((a) => (
            <option key={a} value={`https://${a.includes(':') ? `[${a}]` : a}:${port}`} />
          ))}
        </datalist>
        <small id="advertise-help" className={advertiseValid ? 'muted' : 'error-text'}>
          https://host:port, picked from this machine&apos;s addresses or a DNS name. Empty picks automatically.
        </small>
      </label>
      <p className="muted">
        The desktop app applies LAN changes at its next start; headless, the command line decides.
      </p>
      <div className="actions">
        <button type="submit" className="primary" disabled={!valid}>
          Save settings
        </button>
      </div>
    </form>
  );
}

function CertificatePanel({ info, onRegenerated }: { info: SystemInfo; onRegenerated(info: SystemInfo): void }) {
  const client = useClient();
  const { reportError, notify } = useApp((s) => ({ reportError: s.reportError, notify: s.notify }));
  const [confirming, setConfirming] = useState(false);
  return (
    <section className="panel stack" aria-labelledby="cert-title">
      <h2 id="cert-title">Endpoint and certificate</h2>
      {info.restart_required && <p className="warning-text">LAN settings changed: restart Gatehouse to apply them.</p>}
      <p>
        Hosts reach this Gatehouse at <span className="mono">{info.lan_url}</span>
      </p>
      {info.tls_fingerprint ? (
        <div className="actions-left">
          <span>
            Certificate key pin:{' '}
            <span className="mono" data-testid="tls-fingerprint">
              sha256//{info.tls_fingerprint}
            </span>
          </span>
          <CopyButton text={info.tls_fingerprint} label="Copy pin" />
          <button type="button" className="danger-link" onClick={() => setConfirming(true)}>
            Regenerate certificate…
          </button>
        </div>
      ) : (
        <p className="warning-text">The LAN listener runs without TLS (--http): hosts cannot pin it.</p>
      )}
      {info.key_storage === 'file' && (
        <p className="muted" role="note">
          Tokens that can be shown again are sealed with a key in a 0600 file in the data directory, not the OS keychain
          {window.gatehouse ? ' (no keychain is available on this system)' : ' (headless mode)'}.
        </p>
      )}
      {confirming && (
        <ConfirmDialog
          title="Regenerate the certificate?"
          confirmLabel="Regenerate"
          danger
          onCancel={() => setConfirming(false)}
          onConfirm={async () => {
            try {
              onRegenerated(await client.api['certificate.regenerate']({}));
              notify('info', 'New certificate in use. Enrolled hosts must be given the new pin.');
            } catch (error) {
              reportError(error);
            }
            setConfirming(false);
          }}
        >
          Every host that pinned the current key (all enrolled hosts, and every join command already handed out) will
          refuse to talk to Gatehouse until it is given the new pin. Only do this if the key may have leaked.
        </ConfirmDialog>
      )}
    </section>
  );
}
