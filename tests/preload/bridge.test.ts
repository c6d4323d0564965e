import { beforeAll, describe, expect, it, vi } from 'vitest';
import { IPC_CHANNEL_PREFIX, OPERATION_NAMES } from '../../src/shared/api/operation-names';
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
    expect(reachable).toBe('["setSecretOnScreen","copySecret","onNavigate"]');
    expect(Object.values(bridge).includes(ipcRenderer as never)).toBe(false);
  });
});
