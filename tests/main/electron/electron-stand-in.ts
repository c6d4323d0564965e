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
  windowOpenHandler: ((details: { url: string }) => { action: string }) | undefined;
  session = new FakeSession();
  on(event: string, handler: (...args: unknown[]) => void) {
    this.handlers.set(event, handler);
    return this;
  }
  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }) {
    this.windowOpenHandler = handler;
  }
  /** Fires a navigation-like event; true when the handler prevented it. */
  fire(event: string, url?: string): boolean {
    let prevented = false;
    this.handlers.get(event)?.({ preventDefault: () => (prevented = true) }, url);
    return prevented;
  }
}

export class FakeSession {
  requestHandler: ((contents: unknown, permission: string, callback: (granted: boolean) => void) => void) | undefined;
  checkHandler: (() => boolean) | undefined;
  setPermissionRequestHandler(handler: FakeSession['requestHandler']) {
    this.requestHandler = handler;
  }
  setPermissionCheckHandler(handler: () => boolean) {
    this.checkHandler = handler;
  }
}

export class BrowserWindow {
  static created: BrowserWindow[] = [];
  webContents = new FakeWebContents();
  loaded: string | undefined;
  constructor(readonly options: { webPreferences: Record<string, unknown> }) {
    BrowserWindow.created.push(this);
  }
  once() {}
  on() {}
  show() {}
  async loadURL(url: string) {
    this.loaded = url;
  }
}

export default { ipcMain, ipcRenderer, contextBridge, shell, BrowserWindow };
