import { X509Certificate, createPrivateKey } from 'node:crypto';
import { chmodSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  generateCertificate,
  loadOrCreateCertificate,
  publicKeyFingerprint,
} from '../../../../src/main/core/security/tls-certificate';
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

  it('writes both files 0600 and leaves no temporary file behind', async () => {
    const dir = tempDir();
    await loadOrCreateCertificate(dir);
    await loadOrCreateCertificate(dir, { regenerate: true });
    expect(readdirSync(dir).sort()).toEqual(['tls-cert.pem', 'tls-key.pem']);
    for (const name of ['tls-cert.pem', 'tls-key.pem']) expect(statSync(join(dir, name)).mode & 0o777).toBe(0o600);
  });

  it('tightens a key file left readable by others', async () => {
    const dir = tempDir();
    const made = await loadOrCreateCertificate(dir);
    chmodSync(join(dir, 'tls-key.pem'), 0o644);
    expect((await loadOrCreateCertificate(dir)).fingerprint).toBe(made.fingerprint);
    expect(statSync(join(dir, 'tls-key.pem')).mode & 0o777).toBe(0o600);
  });

  it('makes a new pair, with a warning, when the key does not belong to the certificate', async () => {
    const dir = tempDir();
    const made = await loadOrCreateCertificate(dir);
    // What a crash between the two renames of a regeneration leaves: a new key, the old certificate.
    writeFileSync(join(dir, 'tls-key.pem'), (await generateCertificate()).key);
    const warnings = collect();
    const loaded = await loadOrCreateCertificate(dir, { logger: warnings });
    expect(loaded.fingerprint).not.toBe(made.fingerprint);
    expect(new X509Certificate(loaded.cert).checkPrivateKey(createPrivateKey(loaded.key))).toBe(true);
    expect(readFileSync(join(dir, 'tls-key.pem'), 'utf8')).toBe(loaded.key);
    expect(warnings.seen).toEqual([
      expect.objectContaining({
        problem: 'key does not match the certificate',
        previous_fingerprint: made.fingerprint,
      }),
    ]);
    expect(JSON.stringify(warnings.seen)).not.toContain('PRIVATE KEY');
  });

  it('makes a new pair, with a warning, when a file is missing or unreadable', async () => {
    const dir = tempDir();
    await loadOrCreateCertificate(dir);
    const warnings = collect();
    rmSync(join(dir, 'tls-cert.pem'));
    await loadOrCreateCertificate(dir, { logger: warnings });
    writeFileSync(join(dir, 'tls-key.pem'), '-----BEGIN PRIVATE KEY-----\ntruncat');
    const last = await loadOrCreateCertificate(dir, { logger: warnings });
    expect(warnings.seen.map((w) => w.problem)).toEqual(['certificate file missing', 'key unreadable']);
    expect((await loadOrCreateCertificate(dir, { logger: warnings })).fingerprint).toBe(last.fingerprint);
    expect(warnings.seen).toHaveLength(2);
  });

  it('makes the first pair without a warning', async () => {
    const warnings = collect();
    await loadOrCreateCertificate(tempDir(), { logger: warnings });
    expect(warnings.seen).toEqual([]);
  });
});

function collect() {
  const seen: Record<string, unknown>[] = [];
  return { seen, warn: (detail: Record<string, unknown>) => void seen.push(detail) };
}
