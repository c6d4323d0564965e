import { contextBridge, ipcRenderer } from 'electron';
import type { GatehouseBridge } from '../shared/api/bridge';
import {
  IPC_CHANNEL_PREFIX,
  IPC_DESKTOP_CHANNELS,
  IPC_EVENT_CHANNEL,
  OPERATION_NAMES,
} from '../shared/api/operation-names';
import type { AdminEvent } from '../shared/domain';

/**
 * The renderer's only door to the main process: one function per contract
 * operation, an event subscription and the desktop-only calls (guardrails, team
 * server, backups, sheet PDF), each on its own channel. No raw ipcRenderer.
 */
export function createBridge(
  ipc: Pick<typeof ipcRenderer, 'invoke' | 'send' | 'on' | 'removeListener'>,
): GatehouseBridge {
  const invoke = Object.fromEntries(
    OPERATION_NAMES.map((name) => [name, (input: unknown) => ipc.invoke(IPC_CHANNEL_PREFIX + name, input)]),
  ) as GatehouseBridge['invoke'];
  const listen = <T>(channel: string, listener: (value: T) => void) => {
    const handler = (_event: unknown, value: T) => listener(value);
    ipc.on(channel, handler);
    return () => void ipc.removeListener(channel, handler);
  };
  return {
    invoke,
    onEvent: (listener) => listen<AdminEvent>(IPC_EVENT_CHANNEL, listener),
    desktop: {
      setSecretOnScreen: (visible) => ipc.send(IPC_DESKTOP_CHANNELS.secretOnScreen, visible === true),
      copySecret: async (text) => void (await ipc.invoke(IPC_DESKTOP_CHANNELS.copySecret, String(text))),
      onNavigate: (listener) => listen<string>(IPC_DESKTOP_CHANNELS.navigate, listener),
      teamServer: {
        status: () => ipc.invoke(IPC_DESKTOP_CHANNELS.teamServerStatus),
        connect: (input) => ipc.invoke(IPC_DESKTOP_CHANNELS.teamServerConnect, input),
        disconnect: () => ipc.invoke(IPC_DESKTOP_CHANNELS.teamServerDisconnect),
      },
      backups: {
        state: () => ipc.invoke(IPC_DESKTOP_CHANNELS.backupState),
        setSchedule: (schedule) => ipc.invoke(IPC_DESKTOP_CHANNELS.backupSetSchedule, schedule),
        runNow: () => ipc.invoke(IPC_DESKTOP_CHANNELS.backupRunNow),
      },
      saveSheetPdf: (input) => ipc.invoke(IPC_DESKTOP_CHANNELS.saveSheetPdf, input),
    },
  } satisfies GatehouseBridge;
}

contextBridge.exposeInMainWorld('gatehouse', createBridge(ipcRenderer));
