import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, chmodSync } from 'node:fs';
import { writeFileAtomic } from '../durable-file';

/**
 * Seals secrets that must be shown again (an active token's text, an idempotent
 * replay's credential) with AES-256-GCM under a key kept outside the database.
 * The Electron shell hands in a key unsealed by the OS keychain; headless, the key
 * lives in a 0600 file in the data directory.
 */
export interface SecretBox {
  seal(plaintext: string): Buffer;
  open(sealed: Buffer): string;
}

const VERSION = 1;

export function createSecretBox(key: Buffer): SecretBox {
  if (key.length !== 32) throw new RangeError('secret box key must be 32 bytes');
  return {
    seal(plaintext) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body]);
    },
    open(sealed) {
      if (sealed[0] !== VERSION) throw new Error('unknown sealed secret version');
      const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(1, 13));
      decipher.setAuthTag(sealed.subarray(13, 29));
      return Buffer.concat([decipher.update(sealed.subarray(29)), decipher.final()]).toString('utf8');
    },
  };
}

/** Reads the 0600 key file, creating it with a fresh random key on first start. */
export function loadOrCreateKeyFile(path: string): Buffer {
  if (existsSync(path)) {
    const key = Buffer.from(readFileSync(path, 'utf8').trim(), 'base64');
    if (key.length !== 32) throw new Error(`${path} does not hold a 32-byte key`);
    chmodSync(path, 0o600);
    return key;
  }
  const key = randomBytes(32);
  // Synced: tokens sealed under this key must stay re-showable after a power cut.
  writeFileAtomic(path, key.toString('base64') + '\n', 0o600);
  return key;
}
