import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BrowserWindow, app, clipboard, dialog, ipcMain, safeStorage } from 'electron';
import { pino } from 'pino';
import { IPC_DESKTOP_CHANNELS, IPC_EVENT_CHANNEL } from '../../shared/api/operation-names';
import type { CallContext } from '../core/api/admin-handlers';
import { dataPaths, ensureDataDir, findAppRoot } from '../core/data-dir';
import type { Gatehouse } from '../core/gatehouse';
import { BackendSwitch } from '../core/remote/backend-switch';
import { startRuntime, type Runtime } from '../core/runtime';
import { createBackupScheduler, type BackupScheduler } from './backup-schedule';
import { createClipboardGuard } from './clipboard-guard';
import { isTrustedSender, registerAdminIpc, registerDesktopCall } from './ipc';
import { saveSheetPdf } from './sheet-pdf';
import { keychainSealer, registerTeamModeIpc } from './team-mode';
import { loadDesktopSecretKey } from './secret-key';
import { createPendingTray, notifyOffline, notifyPendingHost } from './tray';
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
  /** The embedded core; throws while the app is attached to a team server. */
  readonly gatehouse: Gatehouse;
  /** Embedded core or team server: where admin calls and events come from now. */
  backend: BackendSwitch;
  backups: BackupScheduler;
  /** Stops IPC, timers, tray and the LAN listener (or the team server's event stream), then closes the store. */
  shutdown(): Promise<void>;
}

/** What the start-up failure dialog says: the cause, and what to do about it. */
function startupAdvice(error: unknown, port: number): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === 'EADDRINUSE') {
    return `${message}\n\nAnother program uses port ${port}. Free it, or start Gatehouse headless with another --port and change the port in Settings.`;
  }
  return `${message}\n\nGatehouse will quit now. Fix the cause above and start it again.`;
}

export async function startDesktop(): Promise<DesktopApp | undefined> {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return undefined;
  }
  await app.whenReady();
  const where = locations();
  const logger = pino({ name: 'gatehouse', level: process.env.GATEHOUSE_LOG_LEVEL ?? 'info' });
  const dataDir = app.getPath('userData');
  const paths = dataPaths(dataDir);
  let running = { port: 0, bind: '', advertise: null as string | null };
  const startLocal = async (): Promise<Runtime> => {
    const runtime: Runtime = await startRuntime({
      dataDir,
      logger,
      version: app.getVersion(),
      joinAssetsDir: where.joinAssets,
      secretKey: (dirPaths) => loadDesktopSecretKey(safeStorage, dirPaths.dir),
      nativeBinding: where.nativeBinding,
      lan: (saved) => {
        running = { port: saved.lan_port, bind: saved.lan_bind, advertise: saved.advertise_url };
        return { bind: saved.lan_bind, port: saved.lan_port, http: false, advertiseUrl: saved.advertise_url };
      },
      restartRequired: () => {
        const now = runtime.gatehouse.settings.get();
        return (
          now.lan_port !== running.port || now.lan_bind !== running.bind || now.advertise_url !== running.advertise
        );
      },
    });
    return runtime;
  };
  // Team mode keeps its file here even when the embedded core (which creates the directory) never runs.
  ensureDataDir(dataDir);
  const backend = new BackendSwitch({
    startLocal,
    teamServerFile: paths.teamServer,
    sealer: keychainSealer(safeStorage),
    logger,
  });
  try {
    await backend.start();
  } catch (error) {
    // Any start-up failure (a busy port, a database from a newer Gatehouse, an unreadable
    // key) says why and quits, so the single-instance lock is not held by a windowless process.
    dialog.showErrorBox('Gatehouse could not start', startupAdvice(error, running.port));
    app.exit(1);
    return undefined;
  }
  const ctx: CallContext = { actor: `desktop:${userInfo().username}`, scope: 'admin' };
  const onUnknownError = (err: unknown) => logger.error({ err }, 'admin call failed');

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
    handlers: backend.handlers,
    appUrl: where.appUrl,
    actor: ctx.actor,
    onUnknownError,
  });
  const backups = createBackupScheduler({
    file: paths.backups,
    dataDir: () => (backend.current.runtime ? dataDir : null),
    logger: logger.child({ job: 'backup' }),
  });
  backups.start();
  const common = { ipcMain, appUrl: where.appUrl, onUnknownError };
  const stopDesktopCalls = [
    registerTeamModeIpc({ ...common, backend, afterSwitch: () => backups.start() }),
    registerDesktopCall({ ...common, channel: IPC_DESKTOP_CHANNELS.backupState, run: () => backups.state() }),
    registerDesktopCall({
      ...common,
      channel: IPC_DESKTOP_CHANNELS.backupSetSchedule,
      run: (input) => backups.setSchedule(input),
    }),
    registerDesktopCall({ ...common, channel: IPC_DESKTOP_CHANNELS.backupRunNow, run: () => backups.runNow() }),
    registerDesktopCall({
      ...common,
      channel: IPC_DESKTOP_CHANNELS.saveSheetPdf,
      run: (input, event) =>
        saveSheetPdf({ handlers: backend.handlers(), ctx, input, parent: BrowserWindow.fromWebContents(event.sender) }),
    }),
  ];
  const guard = createClipboardGuard(clipboard);
  ipcMain.handle(IPC_DESKTOP_CHANNELS.copySecret, (event, text: unknown) => {
    if (isTrustedSender(event, where.appUrl) && typeof text === 'string' && text.length <= 4096) guard.copySecret(text);
  });
  ipcMain.on(IPC_DESKTOP_CHANNELS.secretOnScreen, (event, visible: unknown) => {
    const owner = BrowserWindow.fromWebContents(event.sender);
    if (owner && isTrustedSender(event, where.appUrl)) owner.setContentProtection(visible === true);
  });

  const tray = createPendingTray({ iconPath: where.trayIcon, onOpen: () => show('hosts'), onQuit: () => app.quit() });
  let offline: number | undefined;
  const refreshTray = () =>
    Promise.resolve(backend.handlers()['hosts.counts']({}, ctx)).then(
      (counts) => {
        const now = counts.by_connectivity.OFFLINE;
        tray.update(counts.by_status.PENDING, now);
        // Compared with the last count: a drop is news; the first count after start is not.
        if (offline !== undefined && now > offline) notifyOffline(now - offline, now, () => show('hosts'));
        offline = now;
      },
      (error: unknown) => logger.warn({ err: error }, 'tray count failed'),
    );
  void refreshTray();
  // Hosts go offline by silence, not by an event: look every 30 s.
  const offlineWatch = setInterval(() => void refreshTray(), 30_000);
  const unsubscribe = backend.events.subscribe((event) => {
    window?.webContents.send(IPC_EVENT_CHANNEL, event);
    if (event.topic !== 'hosts') return;
    void refreshTray();
    if (event.action === 'registered' && event.ids?.[0]) {
      Promise.resolve(backend.handlers()['hosts.get']({ id: event.ids[0] }, ctx)).then(
        (host) => host.status === 'PENDING' && notifyPendingHost(host, () => show('hosts')),
        () => {},
      );
    }
  });

  const shutdown = async () => {
    unsubscribe();
    stopIpc();
    stopDesktopCalls.forEach((stop) => stop());
    backups.stop();
    ipcMain.removeHandler(IPC_DESKTOP_CHANNELS.copySecret);
    ipcMain.removeAllListeners(IPC_DESKTOP_CHANNELS.secretOnScreen);
    guard.dispose();
    clearInterval(offlineWatch);
    tray.destroy();
    await backend.stop();
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
  return {
    get gatehouse() {
      const gatehouse = backend.gatehouse;
      if (!gatehouse) throw new Error('attached to a team server: no embedded core runs');
      return gatehouse;
    },
    backend,
    backups,
    shutdown,
  };
}
