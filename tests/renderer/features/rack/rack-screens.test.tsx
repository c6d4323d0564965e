// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { GatehouseBridge } from '../../../../src/shared/api/bridge';
import type { ExpectedHost, Settings, SystemInfo } from '../../../../src/shared/domain';
import { ExpectedHostsPage } from '../../../../src/renderer/src/features/rack/ExpectedHostsPage';
import { SettingsPage } from '../../../../src/renderer/src/features/settings/SettingsPage';
import { createAppStore } from '../../../../src/renderer/src/stores/app-store';
import { createClockStore } from '../../../../src/renderer/src/stores/clock-store';
import { StoresProvider } from '../../../../src/renderer/src/stores/context';
import { fakeClient, host } from '../../fake-client';

afterEach(() => {
  cleanup();
  delete window.gatehouse;
});

const IMPORT = '33333333-3333-4333-8333-333333333333';
const ok = <T,>(value: T) => Promise.resolve({ ok: true as const, value });

const row = (line: number, over: Partial<ExpectedHost> = {}): ExpectedHost => ({
  id: `44444444-4444-4444-8444-${String(line).padStart(12, '0')}`,
  import_id: IMPORT,
  line,
  hostname: `r12-node-${line}`,
  serial: `SN${line}`,
  system_uuid: null,
  mac: null,
  labels: ['rack=r12'],
  position: `R12-U${line}`,
  auto_approve: false,
  claimed_by: null,
  claimed_at: null,
  created_at: '2026-01-01T00:00:00Z',
  created_by: 'admin',
  ...over,
});

/** Just enough of the desktop bridge for these screens. */
function desktop(overrides: Partial<GatehouseBridge['desktop']> = {}) {
  return {
    invoke: {},
    onEvent: () => () => {},
    desktop: {
      setSecretOnScreen: vi.fn(),
      copySecret: vi.fn(),
      onNavigate: vi.fn(() => () => {}),
      saveSheetPdf: vi.fn(),
      teamServer: { status: vi.fn(() => ok({ team_server: null })), connect: vi.fn(), disconnect: vi.fn() },
      backups: {
        state: vi.fn(() => ok({ schedule: null, last: null, next_at: null, available: true })),
        setSchedule: vi.fn(),
        runNow: vi.fn(),
      },
      ...overrides,
    },
  } as unknown as GatehouseBridge;
}

function renderPage(ui: React.ReactNode, fake = fakeClient()) {
  const app = createAppStore(fake.client);
  render(<StoresProvider stores={{ app, client: fake.client, clock: createClockStore() }}>{ui}</StoresProvider>);
  return app;
}

describe('<ExpectedHostsPage>', () => {
  it('lists each row with its state, naming the host that claimed it', async () => {
    const claimer = host({ hostname: 'r12-node-1', status: 'APPROVED' });
    const fake = fakeClient({
      'expected.list': async () => ({
        expected_hosts: [row(2, { claimed_by: claimer.id, claimed_at: '2026-01-01T01:00:00Z' }), row(3)],
        total_count: 2,
      }),
    });
    fake.hosts.push(claimer);
    renderPage(<ExpectedHostsPage />, fake);
    await screen.findByRole('button', { name: 'r12-node-1' });
    expect(screen.getByText('Unclaimed')).toBeTruthy();
    expect(screen.getByRole('heading', { name: /2 rows, 1 claimed/ })).toBeTruthy();
  });

  it('on the desktop saves the enrolment sheet as a PDF through the bridge and says where', async () => {
    const saveSheetPdf = vi.fn(() => ok({ file: '/home/admin/r12-sheet.pdf', bytes: 52_000 }));
    window.gatehouse = desktop({ saveSheetPdf });
    const open = vi.spyOn(window, 'open');
    const fake = fakeClient({ 'expected.list': async () => ({ expected_hosts: [row(2)], total_count: 1 }) });
    const app = renderPage(<ExpectedHostsPage />, fake);
    fireEvent.click(await screen.findByRole('button', { name: /Save enrolment sheet as PDF/ }));
    await waitFor(() => expect(app.getState().notices.at(-1)?.text).toContain('/home/admin/r12-sheet.pdf'));
    expect(saveSheetPdf).toHaveBeenCalledWith({ import_id: IMPORT });
    expect(open).not.toHaveBeenCalled();
  });
});

describe('<SettingsPage>', () => {
  const settings: Settings = {
    token_prefix: 'GATE',
    offline_threshold_seconds: 90,
    lan_port: 7443,
    lan_bind: '0.0.0.0',
    advertise_url: null,
    disable_offline_after_days: null,
  };
  const info: SystemInfo = {
    version: 'test',
    lan_url: 'https://192.0.2.10:7443',
    tls_fingerprint: 'AAAA',
    key_storage: 'file',
    addresses: [],
    restart_required: false,
    lan_source: 'command_line',
  };
  const fake = () =>
    fakeClient({
      'settings.get': async () => settings,
      'system.info': async () => info,
      'settings.update': async (p) => ({ ...settings, ...p }),
    });

  it('shows the team server and backup panels in the desktop app only', async () => {
    renderPage(<SettingsPage />, fake());
    await screen.findByRole('heading', { name: 'Endpoint and certificate' });
    expect(screen.queryByRole('heading', { name: 'Team server' })).toBeNull();
    expect(screen.queryByRole('heading', { name: 'Scheduled backups' })).toBeNull();
    cleanup();
    window.gatehouse = desktop();
    renderPage(<SettingsPage />, fake());
    await screen.findByRole('heading', { name: 'Team server' });
    expect(screen.getByRole('heading', { name: 'Scheduled backups' })).toBeTruthy();
  });

  it('sends only the fields that changed (headless refuses the LAN ones)', async () => {
    const f = fake();
    renderPage(<SettingsPage />, f);
    fireEvent.click(await screen.findByLabelText(/Disable approved hosts that stay offline/));
    // Headless: the command line owns the LAN listener, so its fields are shown but locked.
    expect((screen.getByLabelText('Port') as HTMLInputElement).disabled).toBe(true);
    fireEvent.change(screen.getByLabelText(/Disable after this many days offline/), { target: { value: '45' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save settings' }));
    await waitFor(() => expect(f.callsOf('settings.update')).toHaveLength(1));
    expect(f.calls.find((c) => c.name === 'settings.update')!.input).toEqual({ disable_offline_after_days: 45 });
  });
});
