// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { BackupState, GatehouseBridge, TeamServerStatus } from '../../../../src/shared/api/bridge';
import { BackupPanel } from '../../../../src/renderer/src/features/settings/BackupPanel';
import { TeamServerPanel } from '../../../../src/renderer/src/features/settings/TeamServerPanel';

afterEach(cleanup);

type Desktop = GatehouseBridge['desktop'];
const ok = <T,>(value: T) => Promise.resolve({ ok: true as const, value });

function fakeDesktop(overrides: {
  teamServer?: Partial<Desktop['teamServer']>;
  backups?: Partial<Desktop['backups']>;
}) {
  return {
    setSecretOnScreen: vi.fn(),
    copySecret: vi.fn(),
    onNavigate: vi.fn(() => () => {}),
    saveSheetPdf: vi.fn(),
    teamServer: {
      status: vi.fn(() => ok<TeamServerStatus>({ team_server: null })),
      connect: vi.fn(),
      disconnect: vi.fn(),
      ...overrides.teamServer,
    },
    backups: {
      state: vi.fn(() => ok<BackupState>({ schedule: null, last: null, next_at: null, available: true })),
      setSchedule: vi.fn(),
      runNow: vi.fn(),
      ...overrides.backups,
    },
  } as unknown as Desktop;
}

describe('<TeamServerPanel>', () => {
  it('sends URL, pin and credential, and shows the refusal sentence the main process gives', async () => {
    const connect = vi.fn(() =>
      Promise.resolve({
        ok: false as const,
        error: { code: 'VALIDATION_FAILED' as const, message: 'pin does not match the server at https://t:7444.' },
      }),
    );
    render(<TeamServerPanel desktop={fakeDesktop({ teamServer: { connect } })} />);
    fireEvent.change(await screen.findByLabelText('Admin URL'), { target: { value: 'https://t:7444' } });
    fireEvent.change(screen.getByLabelText('TLS pin'), { target: { value: 'sha256//abc' } });
    fireEvent.change(screen.getByLabelText('Credential'), { target: { value: 'gha_secret' } });
    fireEvent.click(screen.getByRole('button', { name: 'Connect' }));
    expect((await screen.findByRole('alert')).textContent).toBe('pin does not match the server at https://t:7444.');
    expect(connect).toHaveBeenCalledWith({ url: 'https://t:7444', pin: 'sha256//abc', credential: 'gha_secret' });
  });

  it('shows the attached server and disconnects', async () => {
    const disconnect = vi.fn(() => ok<TeamServerStatus>({ team_server: null }));
    render(
      <TeamServerPanel
        desktop={fakeDesktop({
          teamServer: { status: () => ok({ team_server: { url: 'https://t:7444', pin: 'PIN=' } }), disconnect },
        })}
      />,
    );
    expect((await screen.findByText('https://t:7444')).className).toBe('mono');
    fireEvent.click(screen.getByRole('button', { name: 'Disconnect' }));
    await screen.findByLabelText('Admin URL');
    expect(disconnect).toHaveBeenCalled();
  });

  it('renders nothing without the desktop bridge (headless)', () => {
    const { container } = render(<TeamServerPanel desktop={undefined} />);
    expect(container.innerHTML).toBe('');
  });
});

describe('<BackupPanel>', () => {
  it('saves the schedule and shows the last result with its file or its error', async () => {
    const saved: BackupState = {
      schedule: { folder: '/b', interval: 'weekly', keep: 3 },
      last: null,
      next_at: '2026-03-08T10:00:00.000Z',
      available: true,
    };
    const setSchedule = vi.fn(() => ok(saved));
    const runNow = vi.fn(() =>
      ok<BackupState>({
        ...saved,
        last: { at: '2026-03-01T10:00:00.000Z', file: null, bytes: null, error: 'disk full' },
      }),
    );
    render(<BackupPanel desktop={fakeDesktop({ backups: { setSchedule, runNow } })} />);
    fireEvent.change(await screen.findByLabelText('Folder'), { target: { value: '/b' } });
    fireEvent.change(screen.getByLabelText('Every'), { target: { value: 'weekly' } });
    fireEvent.change(screen.getByLabelText('Keep the newest'), { target: { value: '3' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save schedule' }));
    await waitFor(() => expect(setSchedule).toHaveBeenCalledWith({ folder: '/b', interval: 'weekly', keep: 3 }));
    fireEvent.click(await screen.findByRole('button', { name: 'Back up now' }));
    expect((await screen.findByTestId('last-backup')).textContent).toMatch(/^Last backup failed .*: disk full$/);
  });

  it("says backups are the team server's in team mode", async () => {
    render(
      <BackupPanel
        desktop={fakeDesktop({
          backups: { state: () => ok<BackupState>({ schedule: null, last: null, next_at: null, available: false }) },
        })}
      />,
    );
    expect(await screen.findByText(/its store is backed up where it runs/)).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Back up now' })).toBeNull();
  });
});
