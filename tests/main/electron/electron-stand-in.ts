// A stand-in for the `electron` module: the one thing these tests mock, because no
// Electron binary can run here. It records what the shell asks of Electron.
import { vi } from 'vitest';

type Handler = (event: unknown, ...args: unknown[]) => unknown;

export const ipcMain = {
  handlers: new Map<string, Handler>(),
  listeners: new Map<string, Handler>(),
  handle(channel: string, handler: Handler) {
    if (this.handlers.has(channel)) throw new Error(`second handler for ${channel}`);
    this.handlers.set(channel, handler);
  },
  removeHandler(channel: string) {
    this.handlers.delete(channel);
  },
  on(channel: string, listener: Handler) {
    this.listeners.set(channel, listener);
  },
  removeAllListeners(channel: string) {
    this.listeners.delete(channel);
  },
};

export const ipcRenderer = {
  invoke: vi.fn(async (channel: string, input: unknown) => ({ channel, input })),
  send: vi.fn(),
  on: vi.fn(),
  removeListener: vi.fn(),
};

export const contextBridge = {
  exposed: new Map<string, unknown>(),
  exposeInMainWorld(key: string, api: unknown) {
    this.exposed.set(key, api);
  },
};

export const shell = { openExternal: vi.fn(async () => undefined) };

/** A webContents that records its event handlers, so a test can fire them. */
export class FakeWebContents {
  handlers = new Map<string, (...args: unknown[]) => void>();
  sent: { channel: string; payload: unknown }[] = [];
  send(channel: string, payload: unknown) {
    this.sent.push({ channel, payload });
  }
  windowOpenHandler: ((details: { url: string }) => { action: string }) | undefined;
  session = new FakeSession();
  on(event: string, handler: (...args: unknown[]) => void) {
    this.handlers.set(event, handler);
    return this;
  }
  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }) {
    this.windowOpenHandler = handler;
  }
  /** What printToPDF was asked for; the stand-in answers a fixed, valid-looking PDF. */
  printed: unknown[] = [];
  async printToPDF(options: unknown): Promise<Buffer> {
    this.printed.push(options);
    return FIXED_PDF;
  }
  /** Fires a navigation-like event; true when the handler prevented it. */
  fire(event: string, url?: string): boolean {
    let prevented = false;
    this.handlers.get(event)?.({ preventDefault: () => (prevented = true) }, url);
    return prevented;
  }
}

export class FakeSession {
  /** Requests the page made, and whether the session's filter let each through. */
  beforeRequest: ((details: { url: string }, callback: (answer: { cancel: boolean }) => void) => void) | undefined;
  webRequest = {
    onBeforeRequest: (handler: FakeSession['beforeRequest']) => void (this.beforeRequest = handler),
  };
  requestHandler: ((contents: unknown, permission: string, callback: (granted: boolean) => void) => void) | undefined;
  checkHandler: (() => boolean) | undefined;
  setPermissionRequestHandler(handler: FakeSession['requestHandler']) {
    this.requestHandler = handler;
  }
  setPermissionCheckHandler(handler: () => boolean) {
    this.checkHandler = handler;
  }
}

/** What every printToPDF answers: the real rendering is tested with Chromium elsewhere. */
export const FIXED_PDF = Buffer.from('%PDF-1.7\n% stand-in\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');

export class BrowserWindow {
  /** Open windows; a destroyed window leaves the list. */
  static created: BrowserWindow[] = [];
  /** Every window ever made, destroyed ones included. */
  static all: BrowserWindow[] = [];
  static fromWebContents(contents: unknown) {
    return BrowserWindow.created.find((w) => w.webContents === contents) ?? null;
  }
  webContents = new FakeWebContents();
  loaded: string | undefined;
  contentProtection = false;
  /** For loadFile: the file and what it held when loaded. */
  loadedFile: { path: string; content: string } | undefined;
  destroyed = false;
  constructor(readonly options: { webPreferences: Record<string, unknown>; show?: boolean }) {
    BrowserWindow.created.push(this);
    BrowserWindow.all.push(this);
  }
  async loadFile(path: string) {
    const { readFileSync } = await import('node:fs');
    this.loadedFile = { path, content: readFileSync(path, 'utf8') };
  }
  destroy() {
    this.destroyed = true;
    BrowserWindow.created = BrowserWindow.created.filter((w) => w !== this);
  }
  once() {}
  on() {}
  show() {}
  focus() {}
  restore() {}
  isMinimized() {
    return false;
  }
  setContentProtection(on: boolean) {
    this.contentProtection = on;
  }
  async loadURL(url: string) {
    this.loaded = url;
  }
}

/** The app object: a userData directory set by the test, lifecycle events recorded. */
export const app = {
  userData: '',
  isPackaged: false,
  events: new Map<string, (...args: unknown[]) => void>(),
  requestSingleInstanceLock: () => true,
  whenReady: async () => undefined,
  getPath(name: string) {
    if (name !== 'userData') throw new Error(`stand-in knows only userData, not ${name}`);
    return this.userData;
  },
  getVersion: () => '0.0.0-test',
  getAppPath: () => '',
  on(event: string, handler: (...args: unknown[]) => void) {
    this.events.set(event, handler);
  },
  quit: vi.fn(),
  exit: vi.fn(),
};

export const safeStorage = {
  isEncryptionAvailable: () => true,
  getSelectedStorageBackend: () => 'gnome_libsecret',
  encryptString: (s: string) => Buffer.from(s, 'utf8').map((b) => b ^ 0x5a),
  decryptString: (b: Buffer) => Buffer.from(b.map((x) => x ^ 0x5a)).toString('utf8'),
};

let clipboardText = '';
export const clipboard = {
  writeText: (t: string) => void (clipboardText = t),
  readText: () => clipboardText,
  clear: () => void (clipboardText = ''),
};

export const dialog = {
  showErrorBox: vi.fn(),
  /** Set by a test: where the save dialog "chooses" to save, or null for Cancel. */
  savePath: null as string | null,
  showSaveDialog: vi.fn(async (..._args: unknown[]) =>
    dialog.savePath ? { canceled: false, filePath: dialog.savePath } : { canceled: true, filePath: undefined },
  ),
};
export const nativeImage = { createFromPath: (path: string) => ({ path }) };
export const Menu = { buildFromTemplate: (template: { label?: string }[]) => ({ template }) };

export class Tray {
  static last: Tray | undefined;
  tooltip = '';
  title = '';
  menu: { template: { label?: string }[] } | undefined;
  constructor(readonly image: unknown) {
    Tray.last = this;
  }
  setToolTip(text: string) {
    this.tooltip = text;
  }
  setTitle(text: string) {
    this.title = text;
  }
  setContextMenu(menu: Tray['menu']) {
    this.menu = menu;
  }
  on() {}
  destroy() {}
}

export class Notification {
  static shown: { title: string; body: string }[] = [];
  static isSupported = () => true;
  constructor(readonly options: { title: string; body: string }) {}
  on() {}
  show() {
    Notification.shown.push(this.options);
  }
}

export default {
  ipcMain,
  ipcRenderer,
  contextBridge,
  shell,
  BrowserWindow,
  app,
  safeStorage,
  clipboard,
  dialog,
  nativeImage,
  Menu,
  Tray,
  Notification,
};
