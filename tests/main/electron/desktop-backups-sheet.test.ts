import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createGatehouse } from '../../../src/main/core/gatehouse';
import { startDesktop, type DesktopApp } from '../../../src/main/electron/desktop-app';
import type { BackupState, SheetPdfResult } from '../../../src/shared/api/bridge';
import { IPC_CHANNEL_PREFIX, IPC_DESKTOP_CHANNELS } from '../../../src/shared/api/operation-names';
import { tempDir } from '../../helpers/temp-dir';
import { BrowserWindow, FIXED_PDF, app, dialog, ipcMain } from './electron-stand-in';
import { freePort } from '../../helpers/free-port';

vi.mock('electron', () => import('./electron-stand-in'));
process.env.GATEHOUSE_LOG_LEVEL = 'warn';

let desktop: DesktopApp;
let dataDir: string;
const window = () => BrowserWindow.created.find((w) => w.loaded)!;
const trusted = () => ({ senderFrame: { url: window().loaded!, parent: null }, sender: window().webContents });
type Answer<T> = { ok: true; value: T } | { ok: false; error: { code: string; message: string } };
const call = async <T>(channel: string, input?: unknown) =>
  (await ipcMain.handlers.get(channel)!(trusted(), input)) as Answer<T>;
const value = async <T>(channel: string, input?: unknown) => {
  const answer = await call<T>(channel, input);
  if (!answer.ok) throw new Error(`${channel}: ${answer.error.code} ${answer.error.message}`);
  return answer.value;
};

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-desktop-extras-'));
  const seed = await createGatehouse({ databaseFile: join(dataDir, 'gatehouse.db'), secretKey: randomBytes(32) });
  await seed.settings.update({ lan_port: await freePort(), lan_bind: '127.0.0.1' }, 'test');
  await seed.close();
  app.userData = dataDir;
  desktop = (await startDesktop())!;
});
afterAll(async () => {
  await desktop?.shutdown();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('scheduled backups in the desktop app', () => {
  it('saves the setting, backs up now into a Gatehouse store and prunes to the newest N', async () => {
    await value(IPC_CHANNEL_PREFIX + 'tokens.create', { expires_in_hours: 1, max_uses: 1 });
    const folder = tempDir();
    const set = await value<BackupState>(IPC_DESKTOP_CHANNELS.backupSetSchedule, {
      folder,
      interval: 'weekly',
      keep: 2,
    });
    expect(set).toMatchObject({ schedule: { folder, interval: 'weekly', keep: 2 }, available: true, last: null });
    expect(set.next_at).not.toBeNull();
    for (let i = 0; i < 3; i++) {
      const state = await value<BackupState>(IPC_DESKTOP_CHANNELS.backupRunNow);
      expect(state.last).toMatchObject({ error: null, file: expect.stringContaining(folder) });
      // Names carry milliseconds: wait for the next one so three runs make three names.
      await new Promise((r) => setTimeout(r, 5));
    }
    const files = readdirSync(folder);
    expect(files).toHaveLength(2);
    const state = await value<BackupState>(IPC_DESKTOP_CHANNELS.backupState);
    expect(files).toContain(state.last!.file!.slice(folder.length + 1));
    const db = new Database(state.last!.file!, { readonly: true });
    expect(db.pragma('quick_check', { simple: true })).toBe('ok');
    expect((db.prepare('SELECT count(*) AS n FROM registration_tokens').get() as { n: number }).n).toBe(1);
    db.close();
    // The setting lives in the data directory, 0600.
    expect(statSync(join(dataDir, 'backups.json')).mode & 0o777).toBe(0o600);
  });

  it('refuses a folder that does not exist, naming the field', async () => {
    const answer = await call(IPC_DESKTOP_CHANNELS.backupSetSchedule, {
      folder: '/nonexistent/backups',
      interval: 'daily',
      keep: 3,
    });
    expect(answer).toMatchObject({
      ok: false,
      error: { code: 'VALIDATION_FAILED', message: expect.stringMatching(/^folder /) },
    });
  });
});

describe('the enrolment sheet as PDF', () => {
  it('renders the sheet in a hidden script-less window, prints A4 and writes the file 0600 where the admin chose', async () => {
    const imported = await value<{ import_id: string }>(IPC_CHANNEL_PREFIX + 'expected.import', {
      csv: 'hostname,serial,system_uuid,mac,labels,position\nrack-07,SER007,,,,C03-07\n',
    });
    const target = join(tempDir(), 'sheet.pdf');
    dialog.savePath = target;
    const before = BrowserWindow.all.length;
    const result = await value<SheetPdfResult>(IPC_DESKTOP_CHANNELS.saveSheetPdf, { import_id: imported.import_id });
    expect(result).toEqual({ file: target, bytes: FIXED_PDF.length });
    expect(readFileSync(target).equals(FIXED_PDF)).toBe(true);
    expect(statSync(target).mode & 0o777).toBe(0o600);

    const hidden = BrowserWindow.all.slice(before);
    expect(hidden).toHaveLength(1);
    const sheetWindow = hidden[0]!;
    expect(sheetWindow.options).toMatchObject({
      show: false,
      webPreferences: { offscreen: true, javascript: false, nodeIntegration: false, sandbox: true },
    });
    expect(sheetWindow.loadedFile!.content).toContain('rack-07');
    expect(sheetWindow.webContents.printed).toEqual([{ pageSize: 'A4', printBackground: true }]);
    expect(sheetWindow.destroyed).toBe(true);
    // Its temporary page is gone, and it may fetch nothing from the network.
    expect(() => statSync(sheetWindow.loadedFile!.path)).toThrow();
    let cancelled: boolean | undefined;
    sheetWindow.webContents.session.beforeRequest!({ url: 'https://example.com/x.png' }, (a) => (cancelled = a.cancel));
    expect(cancelled).toBe(true);
    expect(dialog.showSaveDialog).toHaveBeenLastCalledWith(
      window(),
      expect.objectContaining({ defaultPath: expect.stringMatching(/^enrolment-sheet-.*\.pdf$/) }),
    );
  });

  it('writes nothing when the save dialog is cancelled, and refuses a bad import id', async () => {
    dialog.savePath = null;
    const imported = await value<{ import_id: string }>(IPC_CHANNEL_PREFIX + 'expected.import', {
      csv: 'hostname,serial,system_uuid,mac,labels,position\nrack-08,SER008,,,,C03-08\n',
    });
    expect(await value<SheetPdfResult>(IPC_DESKTOP_CHANNELS.saveSheetPdf, { import_id: imported.import_id })).toEqual({
      file: null,
      bytes: FIXED_PDF.length,
    });
    const bad = await call(IPC_DESKTOP_CHANNELS.saveSheetPdf, { import_id: 'nope' });
    expect(bad).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
  });

  it('answers only the Gatehouse window', async () => {
    const answer = await ipcMain.handlers.get(IPC_DESKTOP_CHANNELS.saveSheetPdf)!(
      { senderFrame: { url: 'https://evil.example/', parent: null } },
      { import_id: '00000000-0000-4000-8000-000000000000' },
    );
    expect(answer).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
  });
});
