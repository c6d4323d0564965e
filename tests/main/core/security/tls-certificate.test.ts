import { X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadOrCreateCertificate, publicKeyFingerprint } from '../../../../src/main/core/security/tls-certificate';
import { tempDir } from '../../../helpers/temp-dir';

describe('the LAN certificate', () => {
  it('is ECDSA P-256 signed with SHA-256, names this machine, and is kept across starts', async () => {
    const dir = tempDir();
    const made = await loadOrCreateCertificate(dir);
    const cert = new X509Certificate(made.cert);
    expect(cert.publicKey.asymmetricKeyType).toBe('ec');
    expect(cert.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(cert.subjectAltName).toContain('IP Address:127.0.0.1');
    expect(cert.subjectAltName).toContain('DNS:localhost');
    expect(cert.issuer).toBe(cert.subject);
    expect(cert.verify(cert.publicKey)).toBe(true);
    // ecdsa-with-SHA256 is OID 1.2.840.10045.4.3.2; SHA-1 would be …4.1.
    expect(Buffer.from(cert.raw).includes(Buffer.from('06082a8648ce3d040302', 'hex'))).toBe(true);
    expect(statSync(join(dir, 'tls-key.pem')).mode & 0o777).toBe(0o600);
    const again = await loadOrCreateCertificate(dir);
    expect(again.fingerprint).toBe(made.fingerprint);
    expect(readFileSync(join(dir, 'tls-cert.pem'), 'utf8')).toBe(made.cert);
  });

  it('fingerprints the SubjectPublicKeyInfo as base64 SHA-256 (what curl --pinnedpubkey takes)', async () => {
    const made = await loadOrCreateCertificate(tempDir());
    expect(publicKeyFingerprint(made.cert)).toMatch(/^[A-Za-z0-9+/]{43}=$/);
  });

  it('regenerates a new key on request', async () => {
    const dir = tempDir();
    const first = await loadOrCreateCertificate(dir);
    const second = await loadOrCreateCertificate(dir, { regenerate: true });
    expect(second.fingerprint).not.toBe(first.fingerprint);
  });
});
