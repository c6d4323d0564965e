import type { IpcMain, IpcMainInvokeEvent, WebFrameMain } from 'electron';
import { IPC_CHANNEL_PREFIX, OPERATION_NAMES } from '../../shared/api/operation-names';
import { ApiError } from '../../shared/api/errors';
import type { IpcResult } from '../../shared/api/operations';
import type { AdminHandlers } from '../core/api/admin-handlers';
import { dispatch } from '../core/api/dispatch';
import { toApiError } from '../core/api/to-api-error';
import { isAppUrl } from './window';

/** A call is trusted only from the app's own page in its main frame: never an iframe, never another origin. */
export function isTrustedSender(event: { senderFrame: WebFrameMain | null }, appUrl: string): boolean {
  const frame = event.senderFrame;
  return frame !== null && frame.parent === null && isAppUrl(frame.url, appUrl);
}

/**
 * One `ipcMain.handle` per contract operation, each going through the same
 * `dispatch` (and schemas) as the HTTP routes. Answers `{ok, value}` or the
 * contract's error body, so errors survive the trip intact.
 */
export function registerAdminIpc(options: {
  ipcMain: IpcMain;
  /** Read on every call: the embedded core's handlers, or a team server's after a switch. */
  handlers: () => AdminHandlers;
  appUrl: string;
  actor: string;
  onUnknownError: (error: unknown) => void;
}): () => void {
  for (const name of OPERATION_NAMES) {
    options.ipcMain.handle(IPC_CHANNEL_PREFIX + name, async (event, input: unknown): Promise<IpcResult<unknown>> => {
      if (!isTrustedSender(event, options.appUrl)) {
        return { ok: false, ...new ApiError('FORBIDDEN', 'This caller is not the Gatehouse window.').toBody() };
      }
      try {
        return {
          ok: true,
          value: await dispatch(options.handlers(), name, input, { actor: options.actor, scope: 'admin' }),
        };
      } catch (error) {
        return { ok: false, ...toApiError(error, options.onUnknownError).toBody() };
      }
    });
  }
  return () => OPERATION_NAMES.forEach((name) => options.ipcMain.removeHandler(IPC_CHANNEL_PREFIX + name));
}

/**
 * One desktop-only IPC call (not an admin operation): same sender check and the same
 * `{ok, value}` or contract-error answer as the operations. Returns its unregister.
 */
export function registerDesktopCall(options: {
  ipcMain: IpcMain;
  channel: string;
  appUrl: string;
  onUnknownError: (error: unknown) => void;
  run: (input: unknown, event: IpcMainInvokeEvent) => unknown;
}): () => void {
  options.ipcMain.handle(options.channel, async (event, input: unknown): Promise<IpcResult<unknown>> => {
    if (!isTrustedSender(event, options.appUrl)) {
      return { ok: false, ...new ApiError('FORBIDDEN', 'This caller is not the Gatehouse window.').toBody() };
    }
    try {
      return { ok: true, value: await options.run(input, event) };
    } catch (error) {
      return { ok: false, ...toApiError(error, options.onUnknownError).toBody() };
    }
  });
  return () => options.ipcMain.removeHandler(options.channel);
}
