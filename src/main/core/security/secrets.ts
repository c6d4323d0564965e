import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** SHA-256 of a high-entropy secret. Tokens carry ≥128 random bits, so no slow KDF is needed. */
export function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

/** A 256-bit bearer credential for a host or an admin, URL-safe. */
export function newCredential(kind: 'host' | 'admin'): string {
  return `${kind === 'host' ? 'ghh' : 'gha'}_${randomBytes(32).toString('base64url')}`;
}

/**
 * Compares two secrets in constant time. Hashing both first gives equal lengths
 * (timingSafeEqual throws on unequal lengths) and hides the expected length.
 */
export function secretsEqual(given: string, expected: string): boolean {
  return timingSafeEqual(hashSecret(given), hashSecret(expected));
}

/** Six digits derived from a new host credential, read aloud between admin and rack. */
export function verificationCode(hostCredential: string): string {
  const digest = createHash('sha256').update(`gatehouse-verify:${hostCredential}`).digest();
  return String(digest.readUInt32BE(0) % 1_000_000).padStart(6, '0');
}
