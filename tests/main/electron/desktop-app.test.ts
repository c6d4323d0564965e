import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createGatehouse } from '../../../src/main/core/gatehouse';
import { startDesktop, type DesktopApp } from '../../../src/main/electron/desktop-app';
import { IPC_CHANNEL_PREFIX, IPC_DESKTOP_CHANNELS, IPC_EVENT_CHANNEL } from '../../../src/shared/api/operation-names';
import type { SystemInfo } from '../../../src/shared/domain';
import { tempDir } from '../../helpers/temp-dir';
import { BrowserWindow, Notification, Tray, app, clipboard, ipcMain } from './electron-stand-in';
import { freePort } from '../../helpers/free-port';

vi.mock('electron', () => import('./electron-stand-in'));

let desktop: DesktopApp;
let port: number;
let dataDir: string;
const window = () => BrowserWindow.created.at(-1)!;
const trusted = () => ({ senderFrame: { url: window().loaded!, parent: null }, sender: window().webContents });
const invoke = async <T>(name: string, input: unknown = {}) => {
  const result = (await ipcMain.handlers.get(IPC_CHANNEL_PREFIX + name)!(trusted(), input)) as {
    ok: boolean;
    value: T;
  };
  expect(result.ok).toBe(true);
  return result.value;
};

beforeAll(async () => {
  dataDir = tempDir();
  port = await freePort();
  // The saved LAN settings the desktop app starts its listener with.
  const seed = await createGatehouse({ databaseFile: join(dataDir, 'gatehouse.db'), secretKey: randomBytes(32) });
  await seed.settings.update({ lan_port: port, lan_bind: '127.0.0.1' }, 'test');
  await seed.close();
  app.userData = dataDir;
  desktop = (await startDesktop())!;
});
afterAll(async () => desktop?.shutdown());

describe('the desktop shell under a stand-in Electron', () => {
  it('starts the LAN listener with the saved settings and serves hosts', async () => {
    const info = await invoke<SystemInfo>('system.info');
    expect(info).toMatchObject({
      lan_url: `https://127.0.0.1:${port}`,
      key_storage: 'keychain',
      restart_required: false,
    });
    expect(existsSync(join(dataDir, 'secret.key.sealed'))).toBe(true);
    expect(existsSync(join(dataDir, 'tls-cert.pem'))).toBe(true);
  });

  it('opens one secure window on the built renderer with the preload', () => {
    expect(window().loaded).toMatch(/\/out\/renderer\/index\.html$/);
    expect(window().options.webPreferences).toMatchObject({
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
    });
    expect(String(window().options.webPreferences.preload)).toMatch(/\/out\/preload\/index\.cjs$/);
  });

  it('forwards every change to the window, counts pending hosts in the tray and notifies', async () => {
    const token = await invoke<{ token: string }>('tokens.create', { expires_in_hours: 1, max_uses: 1 });
    const registered = await desktop.gatehouse.enrolment.register(
      { token: token.token, hostname: 'tray-host', machine_id: 'machine-tray-0001' },
      '10.0.0.9',
    );
    expect(window().webContents.sent.some((m) => m.channel === IPC_EVENT_CHANNEL)).toBe(true);
    await vi.waitFor(() => expect(Tray.last!.tooltip).toBe('Gatehouse — 1 host waiting for approval'));
    await vi.waitFor(() => expect(Notification.shown.length).toBeGreaterThan(0));
    expect(Notification.shown.at(-1)).toEqual({
      title: 'Host waiting for approval: tray-host',
      body: `Verification code ${registered.verification_code.slice(0, 3)} ${registered.verification_code.slice(3)} · from 10.0.0.9`,
    });
    await invoke('hosts.approve', { id: registered.host_id });
    await vi.waitFor(() => expect(Tray.last!.tooltip).toBe('Gatehouse — No host waiting'));
  });

  it('copies a secret for the window only, and protects the window while a secret is shown', async () => {
    const copy = ipcMain.handlers.get(IPC_DESKTOP_CHANNELS.copySecret)!;
    await copy({ senderFrame: { url: 'https://evil.example/', parent: null } }, 'stolen?');
    expect(clipboard.readText()).not.toBe('stolen?');
    await copy(trusted(), 'GATE-SECRET');
    expect(clipboard.readText()).toBe('GATE-SECRET');
    ipcMain.listeners.get(IPC_DESKTOP_CHANNELS.secretOnScreen)!(trusted(), true);
    expect(window().contentProtection).toBe(true);
    ipcMain.listeners.get(IPC_DESKTOP_CHANNELS.secretOnScreen)!(trusted(), false);
    expect(window().contentProtection).toBe(false);
  });

  it('says a restart is needed once the saved LAN settings differ from the running listener', async () => {
    await invoke('settings.update', { lan_port: port + 1 });
    expect((await invoke<SystemInfo>('system.info')).restart_required).toBe(true);
  });
});

describe('a desktop start that fails', () => {
  it('shows the cause in a dialog and exits, instead of leaving a windowless process holding the lock', async () => {
    await desktop.shutdown();
    const { default: Database } = await import('better-sqlite3');
    const newer = new Database(join(dataDir, 'gatehouse.db'));
    newer.pragma('user_version = 999');
    newer.close();
    const { dialog } = await import('./electron-stand-in');
    dialog.showErrorBox.mockClear();
    app.exit.mockClear();
    expect(await startDesktop()).toBeUndefined();
    expect(dialog.showErrorBox).toHaveBeenCalledWith(
      'Gatehouse could not start',
      expect.stringMatching(/newer than this Gatehouse/),
    );
    expect(app.exit).toHaveBeenCalledWith(1);
    // Nothing is left holding the data directory: the lock file is gone.
    expect(existsSync(join(dataDir, 'gatehouse.lock'))).toBe(false);
  });
});
