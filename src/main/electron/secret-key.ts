import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SafeStorage } from 'electron';
import { loadOrCreateKeyFile } from '../core/security/secret-box';
import type { SystemInfo } from '../../shared/domain';

/**
 * The key that seals re-showable tokens. With a real OS keychain (Keychain, DPAPI,
 * libsecret/kwallet) it is stored sealed by `safeStorage`; when Linux offers only the
 * `basic_text` fallback, which is no protection, a 0600 key file is used instead and
 * Settings says so.
 */
export function loadDesktopSecretKey(
  safeStorage: SafeStorage,
  dataDir: string,
  platform = process.platform,
): { key: Buffer; storage: SystemInfo['key_storage'] } {
  const keychain =
    safeStorage.isEncryptionAvailable() &&
    (platform !== 'linux' || safeStorage.getSelectedStorageBackend() !== 'basic_text');
  if (!keychain) return { key: loadOrCreateKeyFile(join(dataDir, 'secret.key')), storage: 'file' };
  const sealedPath = join(dataDir, 'secret.key.sealed');
  if (existsSync(sealedPath)) {
    return { key: Buffer.from(safeStorage.decryptString(readFileSync(sealedPath)), 'base64'), storage: 'keychain' };
  }
  // First start with a keychain: adopt a key file left by headless runs, so sealed tokens stay readable.
  const filePath = join(dataDir, 'secret.key');
  const key = existsSync(filePath) ? loadOrCreateKeyFile(filePath) : randomBytes(32);
  writeFileSync(sealedPath, safeStorage.encryptString(key.toString('base64')), { mode: 0o600 });
  return { key, storage: 'keychain' };
}
