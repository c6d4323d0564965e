import { useEffect } from 'react';
import { Notices } from './components/Notices';
import { AuditPage } from './features/audit/AuditPage';
import { AlarmBanners } from './features/rack/AlarmBanners';
import { ExpectedHostsPage } from './features/rack/ExpectedHostsPage';
import { RulesPage } from './features/rules/RulesPage';
import { HostDetail } from './features/hosts/HostDetail';
import { HostsPage } from './features/hosts/HostsPage';
import { SettingsPage } from './features/settings/SettingsPage';
import { AddHostModal } from './features/tokens/AddHostModal';
import { useApp } from './stores/context';
import type { Page } from './stores/ui-slice';

const PAGES: [Page, string][] = [
  ['hosts', 'Hosts'],
  ['expected', 'Expected hosts'],
  ['rules', 'Approval rules'],
  ['audit', 'Audit'],
  ['settings', 'Settings'],
];

/** Headless only: end the session on the server, then the sign-in page. */
async function signOut() {
  await fetch('/api/admin/logout', { method: 'POST', credentials: 'same-origin' }).catch(() => undefined);
  window.location.assign('/login');
}

export function App() {
  const { page, goTo, addHostOpen, detailHostId, counts, loadList, loadCounts, loadTokens, loadSettings, connection } =
    useApp((s) => ({
      page: s.page,
      goTo: s.goTo,
      addHostOpen: s.addHostOpen,
      detailHostId: s.detailHostId,
      counts: s.counts,
      loadList: s.loadList,
      loadCounts: s.loadCounts,
      loadTokens: s.loadTokens,
      loadSettings: s.loadSettings,
      connection: s.connection,
    }));
  useEffect(() => {
    void loadList('queue');
    void loadList('table');
    void loadCounts();
    void loadTokens();
    // The offline threshold drives the live connectivity dots.
    void loadSettings();
  }, [loadList, loadCounts, loadTokens, loadSettings]);
  const pending = counts?.by_status.PENDING ?? 0;
  const offline = counts?.by_connectivity.OFFLINE ?? 0;

  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <nav className="sidebar" aria-label="Main">
        <p className="brand">Gatehouse</p>
        <ul>
          {PAGES.map(([id, label]) => (
            <li key={id}>
              <button type="button" aria-current={page === id ? 'page' : undefined} onClick={() => goTo(id)}>
                <span>{label}</span>
                {id === 'hosts' && (pending > 0 || offline > 0) && (
                  <span className="nav-counts">
                    {pending > 0 && (
                      <span className="badge" title="waiting for approval">
                        {pending}
                        <span className="visually-hidden"> waiting for approval</span>
                      </span>
                    )}
                    {offline > 0 && (
                      <span className="badge badge-offline" title="approved hosts offline">
                        {offline}
                        <span className="visually-hidden"> offline</span>
                      </span>
                    )}
                  </span>
                )}
              </button>
            </li>
          ))}
        </ul>
        {!window.gatehouse && (
          <button type="button" className="sign-out" onClick={() => void signOut()}>
            Sign out
          </button>
        )}
      </nav>
      <main className="content" id="main" tabIndex={-1}>
        {connection === 'lost' && (
          <div className="banner" role="alert">
            Lost contact with Gatehouse; retrying every few seconds. If it stopped, start it again (
            <span className="mono">npm run serve</span>) and open a fresh login_url if asked to sign in.
          </div>
        )}
        <AlarmBanners />
        {page === 'hosts' && <HostsPage />}
        {page === 'expected' && <ExpectedHostsPage />}
        {page === 'rules' && <RulesPage />}
        {page === 'audit' && <AuditPage />}
        {page === 'settings' && <SettingsPage />}
      </main>
      {addHostOpen && <AddHostModal />}
      {detailHostId && <HostDetail id={detailHostId} />}
      <Notices />
    </div>
  );
}
