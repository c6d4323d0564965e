import type { IpcMain, SafeStorage } from 'electron';
import { ApiError } from '../../shared/api/errors';
import { IPC_DESKTOP_CHANNELS } from '../../shared/api/operation-names';
import type { BackendSwitch } from '../core/remote/backend-switch';
import type { Sealer } from '../core/remote/team-server';
import { registerDesktopCall } from './ipc';

/**
 * The team server's credential is sealed by the OS keychain (`safeStorage`), like the
 * key that seals tokens. Without a keychain it is not saved at all: a plaintext admin
 * credential in the data directory is exactly what team mode must not leave behind.
 */
export function keychainSealer(safeStorage: SafeStorage): Sealer {
  return {
    seal(text) {
      if (!safeStorage.isEncryptionAvailable()) {
        throw new ApiError(
          'CONFLICT',
          'This computer offers no OS keychain to seal the team server credential, so it cannot be saved. Use the gatehouse CLI with GATEHOUSE_CREDENTIAL instead.',
        );
      }
      return safeStorage.encryptString(text);
    },
    open: (sealed) => safeStorage.decryptString(sealed),
  };
}

/** The Team server panel's three calls: which server, connect, disconnect. */
export function registerTeamModeIpc(options: {
  ipcMain: IpcMain;
  appUrl: string;
  backend: BackendSwitch;
  onUnknownError: (error: unknown) => void;
  /** After a switch either way (the backup timer re-arms: it only runs beside the embedded core). */
  afterSwitch: () => void;
}): () => void {
  const common = { ipcMain: options.ipcMain, appUrl: options.appUrl, onUnknownError: options.onUnknownError };
  const stops = [
    registerDesktopCall({
      ...common,
      channel: IPC_DESKTOP_CHANNELS.teamServerStatus,
      run: () => options.backend.status(),
    }),
    registerDesktopCall({
      ...common,
      channel: IPC_DESKTOP_CHANNELS.teamServerConnect,
      run: async (input) => {
        const status = await options.backend.connect(input);
        options.afterSwitch();
        return status;
      },
    }),
    registerDesktopCall({
      ...common,
      channel: IPC_DESKTOP_CHANNELS.teamServerDisconnect,
      run: async () => {
        const status = await options.backend.disconnect();
        options.afterSwitch();
        return status;
      },
    }),
  ];
  return () => stops.forEach((stop) => stop());
}
