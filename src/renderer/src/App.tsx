import { useEffect } from 'react';
import { Notices } from './components/Notices';
import { AuditPage } from './features/audit/AuditPage';
import { HostsPage } from './features/hosts/HostsPage';
import { SettingsPage } from './features/settings/SettingsPage';
import { AddHostModal } from './features/tokens/AddHostModal';
import { useApp } from './stores/context';
import type { Page } from './stores/ui-slice';

const PAGES: [Page, string][] = [
  ['hosts', 'Hosts'],
  ['audit', 'Audit'],
  ['settings', 'Settings'],
];

export function App() {
  const { page, goTo, addHostOpen, pendingCount, loadHosts, loadTokens, loadSettings, connection } = useApp((s) => ({
    page: s.page,
    goTo: s.goTo,
    addHostOpen: s.addHostOpen,
    pendingCount: s.hosts.filter((h) => h.status === 'PENDING').length,
    loadHosts: s.loadHosts,
    loadTokens: s.loadTokens,
    loadSettings: s.loadSettings,
    connection: s.connection,
  }));
  useEffect(() => {
    void loadHosts();
    void loadTokens();
    // The offline threshold drives the live connectivity dots.
    void loadSettings();
  }, [loadHosts, loadTokens, loadSettings]);

  return (
    <div className="shell">
      <nav className="sidebar" aria-label="Main">
        <p className="brand">Gatehouse</p>
        <ul>
          {PAGES.map(([id, label]) => (
            <li key={id}>
              <button type="button" aria-current={page === id ? 'page' : undefined} onClick={() => goTo(id)}>
                {label}
                {id === 'hosts' && pendingCount > 0 && (
                  <span className="badge" aria-label={`${pendingCount} waiting for approval`}>
                    {pendingCount}
                  </span>
                )}
              </button>
            </li>
          ))}
        </ul>
      </nav>
      <main className="content">
        {connection === 'lost' && (
          <div className="banner" role="alert">
            Lost contact with Gatehouse; retrying every few seconds. If it stopped, start it again (
            <span className="mono">npm run serve</span>) and open a fresh login_url if asked to sign in.
          </div>
        )}
        {page === 'hosts' && <HostsPage />}
        {page === 'audit' && <AuditPage />}
        {page === 'settings' && <SettingsPage />}
      </main>
      {addHostOpen && <AddHostModal />}
      <Notices />
    </div>
  );
}
