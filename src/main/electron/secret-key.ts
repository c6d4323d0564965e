import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { SafeStorage } from 'electron';
import { dataPaths } from '../core/data-dir';
import { writeFileAtomic } from '../core/durable-file';
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
  const paths = dataPaths(dataDir);
  if (!keychain) return { key: loadOrCreateKeyFile(paths.secretKey), storage: 'file' };
  const sealedPath = paths.sealedSecretKey;
  if (existsSync(sealedPath)) {
    return { key: Buffer.from(safeStorage.decryptString(readFileSync(sealedPath)), 'base64'), storage: 'keychain' };
  }
  // First start with a keychain: adopt a key file left by headless runs, so sealed tokens stay readable.
  const key = existsSync(paths.secretKey) ? loadOrCreateKeyFile(paths.secretKey) : randomBytes(32);
  writeFileAtomic(sealedPath, safeStorage.encryptString(key.toString('base64')), 0o600);
  return { key, storage: 'keychain' };
}
