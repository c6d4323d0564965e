import { rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrowserWindow, dialog } from 'electron';
import { ApiError } from '../../shared/api/errors';
import type { SheetPdfResult } from '../../shared/api/bridge';
import type { AdminHandlers, CallContext } from '../core/api/admin-handlers';
import { dispatch } from '../core/api/dispatch';
import { writeDurably, writeFileAtomic } from '../core/durable-file';

/**
 * The enrolment sheet of an import as an A4 PDF: the sheet's HTML (from whichever
 * backend serves admin calls, so team mode prints the team server's tokens) is rendered
 * in a hidden window with no script, no Node and its own session, printed, and written
 * 0600 where the admin chooses: it holds single-use tokens.
 */
export async function saveSheetPdf(options: {
  handlers: AdminHandlers;
  ctx: CallContext;
  input: unknown;
  parent: BrowserWindow | null;
}): Promise<SheetPdfResult> {
  const sheet = await dispatch(options.handlers, 'expected.sheet', options.input, options.ctx);
  if (!sheet.content_type.startsWith('text/html')) {
    throw new ApiError('VALIDATION_FAILED', `The sheet came back as ${sheet.content_type}, not HTML.`);
  }
  const pdf = await renderPdf(sheet.data);
  const importId = (options.input as { import_id: string }).import_id;
  const saveOptions = {
    title: 'Save the enrolment sheet',
    defaultPath: `enrolment-sheet-${importId.slice(0, 8)}.pdf`,
    filters: [{ name: 'PDF', extensions: ['pdf'] }],
  };
  const choice = options.parent
    ? await dialog.showSaveDialog(options.parent, saveOptions)
    : await dialog.showSaveDialog(saveOptions);
  if (choice.canceled || !choice.filePath) return { file: null, bytes: pdf.length };
  writeFileAtomic(choice.filePath, pdf, 0o600);
  return { file: choice.filePath, bytes: pdf.length };
}

/** Renders HTML to an A4 PDF in a hidden, script-less window, from a private temp file (no size limit of data: URLs). */
async function renderPdf(html: string): Promise<Buffer> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-sheet-'));
  const page = join(dir, 'sheet.html');
  writeDurably(page, html, 0o600);
  const window = new BrowserWindow({
    show: false,
    webPreferences: {
      offscreen: true,
      javascript: false,
      nodeIntegration: false,
      contextIsolation: true,
      sandbox: true,
      webSecurity: true,
      // Its own in-memory session: nothing of the admin window's session is shared.
      partition: 'gatehouse-sheet-pdf',
    },
  });
  try {
    // The sheet is self-contained (QR codes are inline SVG): it has no reason to fetch anything.
    window.webContents.session.webRequest.onBeforeRequest((details, callback) =>
      callback({ cancel: !details.url.startsWith('file:') }),
    );
    await window.loadFile(page);
    return await window.webContents.printToPDF({ pageSize: 'A4', printBackground: true });
  } finally {
    window.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}
