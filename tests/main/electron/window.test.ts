import { describe, expect, it, vi } from 'vitest';
import {
  createMainWindow,
  denyAllPermissions,
  guardNavigation,
  isAppUrl,
  isSafeExternalUrl,
} from '../../../src/main/electron/window';
import { BrowserWindow, FakeSession, FakeWebContents, shell } from './electron-stand-in';

vi.mock('electron', () => import('./electron-stand-in'));

const APP_URL = 'file:///opt/gatehouse/out/renderer/index.html';

describe('the main window', () => {
  it('is created sandboxed, context-isolated, without Node, with the preload', () => {
    createMainWindow({ preload: '/opt/gatehouse/out/preload/index.cjs', appUrl: APP_URL });
    const window = BrowserWindow.created.at(-1)!;
    expect(window.options.webPreferences).toMatchObject({
      preload: '/opt/gatehouse/out/preload/index.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
    expect(window.loaded).toBe(APP_URL);
    expect(window.webContents.windowOpenHandler).toBeDefined();
    expect(window.webContents.session.requestHandler).toBeDefined();
  });
});

describe('navigation guards', () => {
  const contents = new FakeWebContents();
  guardNavigation(contents as never, APP_URL);

  it('block navigating or redirecting away from the app page', () => {
    expect(contents.fire('will-navigate', 'https://evil.example/')).toBe(true);
    expect(contents.fire('will-navigate', 'file:///etc/passwd')).toBe(true);
    expect(contents.fire('will-redirect', 'http://127.0.0.1:9/')).toBe(true);
    expect(contents.fire('will-navigate', `${APP_URL}#/audit`)).toBe(false);
  });

  it('block webviews', () => {
    expect(contents.fire('will-attach-webview')).toBe(true);
  });

  it('deny every new window; only https links go to the system browser', () => {
    for (const url of [
      'https://docs.example/gatehouse',
      'http://plain.example/',
      'file:///etc/passwd',
      'javascript:alert(1)',
    ]) {
      expect(contents.windowOpenHandler!({ url })).toEqual({ action: 'deny' });
    }
    expect(shell.openExternal).toHaveBeenCalledTimes(1);
    expect(shell.openExternal).toHaveBeenCalledWith('https://docs.example/gatehouse');
  });

  it('recognise the dev server by origin and the built page by file path', () => {
    expect(isAppUrl('http://localhost:5173/x', 'http://localhost:5173/')).toBe(true);
    expect(isAppUrl('http://localhost:5174/', 'http://localhost:5173/')).toBe(false);
    expect(isAppUrl('not a url', APP_URL)).toBe(false);
    expect(isSafeExternalUrl('https://x')).toBe(true);
    expect(isSafeExternalUrl('smb://share')).toBe(false);
  });
});

describe('permission guards', () => {
  it('deny every permission request and check', () => {
    const session = new FakeSession();
    denyAllPermissions(session as never);
    for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read']) {
      const callback = vi.fn();
      session.requestHandler!(null, permission, callback);
      expect(callback).toHaveBeenCalledWith(false);
    }
    expect(session.checkHandler!()).toBe(false);
  });
});
