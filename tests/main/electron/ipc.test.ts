import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { registerAdminIpc } from '../../../src/main/electron/ipc';
import { IPC_CHANNEL_PREFIX, OPERATION_NAMES } from '../../../src/shared/api/operation-names';
import { makeGatehouse, type TestGatehouse } from '../../helpers/gatehouse';
import { ipcMain } from './electron-stand-in';

vi.mock('electron', () => import('./electron-stand-in'));

const APP_URL = 'file:///opt/gatehouse/out/renderer/index.html';
let g: TestGatehouse;
let unregister: () => void;
const unknownErrors: unknown[] = [];

beforeEach(async () => {
  g = await makeGatehouse();
  unregister = registerAdminIpc({
    ipcMain: ipcMain as never,
    handlers: () => g.handlers,
    appUrl: APP_URL,
    actor: 'desktop:alice',
    onUnknownError: (e) => unknownErrors.push(e),
  });
});
afterEach(async () => {
  unregister();
  await g.dispose();
});

const frame = (url: string, parent: unknown = null) => ({ senderFrame: { url, parent } });
const call = (name: string, input: unknown, event = frame(APP_URL)) =>
  ipcMain.handlers.get(IPC_CHANNEL_PREFIX + name)!(event, input) as Promise<{
    ok: boolean;
    value?: Record<string, unknown> & { token?: string };
    error?: { code: string };
  }>;

describe('IPC handlers', () => {
  it('exist for every contract operation and are removed again', () => {
    expect([...ipcMain.handlers.keys()].sort()).toEqual(OPERATION_NAMES.map((n) => IPC_CHANNEL_PREFIX + n).sort());
  });

  it('answer {ok, value} from the core, recording the desktop user as actor', async () => {
    const created = await call('tokens.create', { expires_in_hours: 1, max_uses: 2 });
    expect(created).toMatchObject({ ok: true, value: { max_uses: 2, state: 'active', created_by: 'desktop:alice' } });
    expect(created.value!.token).toMatch(/^GATE-/);
  });

  it('refuse a caller from another origin, a dev-server look-alike, or an iframe', async () => {
    for (const event of [
      frame('https://evil.example/'),
      frame('file:///tmp/evil.html'),
      frame(APP_URL, { url: APP_URL }),
    ]) {
      const result = await call('tokens.list', {}, event);
      expect(result).toEqual({ ok: false, error: { code: 'FORBIDDEN', message: expect.any(String) } });
    }
    expect((await g.audit.list({})).entries).toHaveLength(0);
  });

  it('answer bad arguments with the contract error, as the HTTP routes do', async () => {
    for (const input of [{ max_uses: 1 }, 'nonsense', null, { expires_in_hours: 1, max_uses: 1, evil: true }]) {
      const result = await call('tokens.create', input);
      expect(result).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    }
    expect(await call('hosts.approve', { id: 'not-a-uuid' })).toMatchObject({
      ok: false,
      error: { code: 'VALIDATION_FAILED' },
    });
    expect(await call('hosts.approve', { id: '00000000-0000-4000-8000-000000000000' })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    });
  });

  it('turn an unexpected failure into INTERNAL without its details', async () => {
    unregister();
    unregister = registerAdminIpc({
      ipcMain: ipcMain as never,
      handlers: () => ({
        ...g.handlers,
        'tokens.list': () => {
          throw new Error('disk exploded at /var/lib/secret-path');
        },
      }),
      appUrl: APP_URL,
      actor: 'desktop:alice',
      onUnknownError: (e) => unknownErrors.push(e),
    });
    const result = await call('tokens.list', {});
    expect(result).toEqual({ ok: false, error: { code: 'INTERNAL', message: expect.stringContaining('log') } });
    expect(JSON.stringify(result)).not.toContain('secret-path');
    expect(unknownErrors.length).toBeGreaterThan(0);
  });
});
