import { beforeAll, describe, expect, it, vi } from 'vitest';
import { IPC_CHANNEL_PREFIX, IPC_DESKTOP_CHANNELS, OPERATION_NAMES } from '../../src/shared/api/operation-names';
import { operations } from '../../src/shared/api/operations';
import type { GatehouseBridge } from '../../src/shared/api/bridge';
import { contextBridge, ipcRenderer } from '../main/electron/electron-stand-in';

vi.mock('electron', () => import('../main/electron/electron-stand-in'));

let bridge: GatehouseBridge;
beforeAll(async () => {
  await import('../../src/preload/index');
  bridge = contextBridge.exposed.get('gatehouse') as GatehouseBridge;
});

describe('the preload bridge', () => {
  it('is exposed as window.gatehouse and nothing else is', () => {
    expect([...contextBridge.exposed.keys()]).toEqual(['gatehouse']);
    expect(Object.keys(bridge).sort()).toEqual(['desktop', 'invoke', 'onEvent']);
  });

  it('offers exactly the contract operations, one function each', () => {
    expect(Object.keys(bridge.invoke).sort()).toEqual([...OPERATION_NAMES].sort());
    expect(Object.keys(bridge.invoke).sort()).toEqual(Object.keys(operations).sort());
    for (const fn of Object.values(bridge.invoke)) expect(typeof fn).toBe('function');
  });

  it('sends each operation on its own channel with its input untouched', async () => {
    await bridge.invoke['hosts.approve']({ id: 'abc' });
    expect(ipcRenderer.invoke).toHaveBeenLastCalledWith(`${IPC_CHANNEL_PREFIX}hosts.approve`, { id: 'abc' });
  });

  it('hands the renderer no raw ipcRenderer', () => {
    const reachable = JSON.stringify(Object.keys(bridge.desktop));
    expect(reachable).toBe('["setSecretOnScreen","copySecret","onNavigate","teamServer","backups","saveSheetPdf"]');
    expect(Object.values(bridge).includes(ipcRenderer as never)).toBe(false);
  });

  it('sends each desktop-only call on its own channel, and nothing else', async () => {
    await bridge.desktop.teamServer.connect({ url: 'https://team:7444', pin: 'p', credential: 'gha_x' });
    expect(ipcRenderer.invoke).toHaveBeenLastCalledWith(IPC_DESKTOP_CHANNELS.teamServerConnect, {
      url: 'https://team:7444',
      pin: 'p',
      credential: 'gha_x',
    });
    await bridge.desktop.teamServer.status();
    expect(ipcRenderer.invoke).toHaveBeenLastCalledWith(IPC_DESKTOP_CHANNELS.teamServerStatus);
    await bridge.desktop.teamServer.disconnect();
    expect(ipcRenderer.invoke).toHaveBeenLastCalledWith(IPC_DESKTOP_CHANNELS.teamServerDisconnect);
    await bridge.desktop.backups.setSchedule({ folder: '/backups', interval: 'daily', keep: 7 });
    expect(ipcRenderer.invoke).toHaveBeenLastCalledWith(IPC_DESKTOP_CHANNELS.backupSetSchedule, {
      folder: '/backups',
      interval: 'daily',
      keep: 7,
    });
    await bridge.desktop.backups.runNow();
    expect(ipcRenderer.invoke).toHaveBeenLastCalledWith(IPC_DESKTOP_CHANNELS.backupRunNow);
    await bridge.desktop.backups.state();
    expect(ipcRenderer.invoke).toHaveBeenLastCalledWith(IPC_DESKTOP_CHANNELS.backupState);
    await bridge.desktop.saveSheetPdf({ import_id: 'abc' });
    expect(ipcRenderer.invoke).toHaveBeenLastCalledWith(IPC_DESKTOP_CHANNELS.saveSheetPdf, { import_id: 'abc' });
    expect(Object.keys(bridge.desktop.teamServer)).toEqual(['status', 'connect', 'disconnect']);
    expect(Object.keys(bridge.desktop.backups)).toEqual(['state', 'setSchedule', 'runNow']);
  });
});
