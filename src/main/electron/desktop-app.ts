import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BrowserWindow, app, clipboard, dialog, ipcMain, safeStorage } from 'electron';
import { pino } from 'pino';
import { IPC_DESKTOP_CHANNELS, IPC_EVENT_CHANNEL } from '../../shared/api/operation-names';
import { ensureDataDir, findAppRoot } from '../core/data-dir';
import { createGatehouse, type Gatehouse } from '../core/gatehouse';
import { readJoinAssets, startBackgroundJobs } from '../core/headless';
import { allLanAddresses } from '../core/lan-address';
import { createSystemService, startLanListener } from '../core/lan-listener';
import { createClipboardGuard } from './clipboard-guard';
import { isTrustedSender, registerAdminIpc } from './ipc';
import { loadDesktopSecretKey } from './secret-key';
import { createPendingTray, notifyPendingHost } from './tray';
import { createMainWindow } from './window';

/** Where the packaged or development build keeps its pieces. */
function locations() {
  // Packaged: bundles in app.asar, extra resources beside it. Otherwise the repository.
  const appDir = app.isPackaged ? app.getAppPath() : findAppRoot(import.meta.dirname);
  const resources = app.isPackaged ? process.resourcesPath : appDir;
  // `npm run electron:native` builds better-sqlite3 for Electron's ABI here, leaving
  // node_modules' Node build to the tests. Packaged apps get theirs from electron-builder.
  const devBinding = join(appDir, '.electron-native', 'better_sqlite3.node');
  return {
    preload: join(appDir, 'out', 'preload', 'index.cjs'),
    appUrl: process.env.ELECTRON_RENDERER_URL ?? pathToFileURL(join(appDir, 'out', 'renderer', 'index.html')).href,
    joinAssets: app.isPackaged ? join(resources, 'join-assets') : join(appDir, 'resources'),
    trayIcon: app.isPackaged ? join(resources, 'icon.png') : join(appDir, 'build', 'icon.png'),
    nativeBinding: !app.isPackaged && existsSync(devBinding) ? devBinding : undefined,
  };
}

/** Wires the Electron shell to the Electron-free core. Lifecycle only: every rule lives in the core. */
export interface DesktopApp {
  gatehouse: Gatehouse;
  /** Stops IPC, timers, tray and the LAN listener, then closes the store. */
  shutdown(): Promise<void>;
}

export async function startDesktop(): Promise<DesktopApp | undefined> {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return undefined;
  }
  await app.whenReady();
  const where = locations();
  const dataDir = app.getPath('userData');
  ensureDataDir(dataDir);
  const logger = pino({ name: 'gatehouse', level: process.env.GATEHOUSE_LOG_LEVEL ?? 'info' });
  const { key, storage } = loadDesktopSecretKey(safeStorage, dataDir);
  const gatehouse = createGatehouse({
    databaseFile: join(dataDir, 'gatehouse.db'),
    secretKey: key,
    logger,
    nativeBinding: where.nativeBinding,
  });
  const saved = gatehouse.settings.get();
  let lan;
  try {
    lan = await startLanListener({
      gatehouse,
      logger,
      version: app.getVersion(),
      assets: readJoinAssets(where.joinAssets),
      dataDir,
      bind: saved.lan_bind,
      port: saved.lan_port,
      http: false,
      advertiseUrl: saved.advertise_url,
    });
  } catch (error) {
    dialog.showErrorBox(
      'Gatehouse cannot listen on the LAN',
      `${(error as Error).message}\n\nAnother program may use port ${saved.lan_port}. Change it in Settings after start, or free the port.`,
    );
    gatehouse.close();
    app.quit();
    return undefined;
  }
  const running = { port: saved.lan_port, bind: saved.lan_bind, advertise: saved.advertise_url };
  gatehouse.setSystem(
    createSystemService({
      gatehouse,
      lan,
      version: app.getVersion(),
      keyStorage: storage,
      addresses: allLanAddresses,
      restartRequired: () => {
        const now = gatehouse.settings.get();
        return (
          now.lan_port !== running.port || now.lan_bind !== running.bind || now.advertise_url !== running.advertise
        );
      },
    }),
  );
  const stopJobs = startBackgroundJobs(gatehouse, lan);

  let window: BrowserWindow | null = createMainWindow({ preload: where.preload, appUrl: where.appUrl });
  window.on('closed', () => (window = null));
  const show = (page?: string) => {
    window ??= createMainWindow({ preload: where.preload, appUrl: where.appUrl });
    if (window.isMinimized()) window.restore();
    window.show();
    window.focus();
    if (page) window.webContents.send(IPC_DESKTOP_CHANNELS.navigate, page);
  };
  app.on('second-instance', () => show());
  app.on('activate', () => show());

  const stopIpc = registerAdminIpc({
    ipcMain,
    handlers: gatehouse.handlers,
    appUrl: where.appUrl,
    actor: `desktop:${userInfo().username}`,
    onUnknownError: (err) => logger.error({ err }, 'admin call failed'),
  });
  const guard = createClipboardGuard(clipboard);
  ipcMain.handle(IPC_DESKTOP_CHANNELS.copySecret, (event, text: unknown) => {
    if (isTrustedSender(event, where.appUrl) && typeof text === 'string' && text.length <= 4096) guard.copySecret(text);
  });
  ipcMain.on(IPC_DESKTOP_CHANNELS.secretOnScreen, (event, visible: unknown) => {
    const owner = BrowserWindow.fromWebContents(event.sender);
    if (owner && isTrustedSender(event, where.appUrl)) owner.setContentProtection(visible === true);
  });

  const tray = createPendingTray({ iconPath: where.trayIcon, onOpen: () => show('hosts'), onQuit: () => app.quit() });
  tray.update(gatehouse.hosts.pendingCount());
  const unsubscribe = gatehouse.events.subscribe((event) => {
    window?.webContents.send(IPC_EVENT_CHANNEL, event);
    if (event.topic !== 'hosts') return;
    tray.update(gatehouse.hosts.pendingCount());
    if (event.action === 'registered' && event.id) {
      const host = gatehouse.hosts.get(event.id);
      if (host.status === 'PENDING') notifyPendingHost(host, () => show('hosts'));
    }
  });

  const shutdown = async () => {
    unsubscribe();
    stopIpc();
    ipcMain.removeHandler(IPC_DESKTOP_CHANNELS.copySecret);
    ipcMain.removeAllListeners(IPC_DESKTOP_CHANNELS.secretOnScreen);
    guard.dispose();
    stopJobs();
    tray.destroy();
    await lan.close();
    gatehouse.close();
  };
  let quitting = false;
  app.on('window-all-closed', () => {
    // The LAN endpoint keeps serving hosts from the tray; Quit in the tray menu ends it.
  });
  app.on('before-quit', (event) => {
    if (quitting) return;
    quitting = true;
    event.preventDefault();
    void shutdown().finally(() => app.exit(0));
  });
  return { gatehouse, shutdown };
}
