import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { loadDesktopSecretKey } from '../../../src/main/electron/secret-key';
import { tempDir } from '../../helpers/temp-dir';

vi.mock('electron', () => import('./electron-stand-in'));

/** safeStorage with a reversible stand-in cipher, so sealed bytes differ from the key. */
function safeStorage(options: { available: boolean; backend?: string }) {
  return {
    isEncryptionAvailable: () => options.available,
    getSelectedStorageBackend: () => options.backend ?? 'gnome_libsecret',
    encryptString: (s: string) => Buffer.from(s, 'utf8').map((b) => b ^ 0x5a),
    decryptString: (b: Buffer) => Buffer.from(b.map((x) => x ^ 0x5a)).toString('utf8'),
  } as never;
}

describe('the desktop sealing key', () => {
  it('is kept sealed by the OS keychain when one is available, and stays the same across starts', () => {
    const dir = tempDir();
    const first = loadDesktopSecretKey(safeStorage({ available: true }), dir, 'linux');
    expect(first.storage).toBe('keychain');
    expect(first.key).toHaveLength(32);
    const sealed = readFileSync(join(dir, 'secret.key.sealed'));
    expect(sealed.toString('latin1')).not.toContain(first.key.toString('base64'));
    expect(statSync(join(dir, 'secret.key.sealed')).mode & 0o777).toBe(0o600);
    expect(existsSync(join(dir, 'secret.key'))).toBe(false);
    expect(loadDesktopSecretKey(safeStorage({ available: true }), dir, 'linux').key.equals(first.key)).toBe(true);
  });

  it('falls back to a 0600 key file when Linux offers only basic_text, and says so', () => {
    const dir = tempDir();
    const result = loadDesktopSecretKey(safeStorage({ available: true, backend: 'basic_text' }), dir, 'linux');
    expect(result.storage).toBe('file');
    expect(statSync(join(dir, 'secret.key')).mode & 0o777).toBe(0o600);
  });

  it('falls back to the key file when no encryption is available at all', () => {
    expect(loadDesktopSecretKey(safeStorage({ available: false }), tempDir(), 'darwin').storage).toBe('file');
  });

  it('adopts a key file left by headless runs, so tokens sealed then stay readable', () => {
    const dir = tempDir();
    const headless = loadDesktopSecretKey(safeStorage({ available: false }), dir, 'linux');
    const desktop = loadDesktopSecretKey(safeStorage({ available: true }), dir, 'linux');
    expect(desktop).toMatchObject({ storage: 'keychain' });
    expect(desktop.key.equals(headless.key)).toBe(true);
  });
});
