// @peculiar/x509 uses tsyringe, which needs the Reflect metadata polyfill loaded first.
import 'reflect-metadata';
import { X509Certificate, createHash, webcrypto } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { hostname, networkInterfaces } from 'node:os';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';

export interface TlsMaterial {
  cert: string;
  key: string;
  /** base64 SHA-256 of the SubjectPublicKeyInfo: what `curl --pinnedpubkey sha256//…` takes. */
  fingerprint: string;
}

// ECDSA P-256 with SHA-256, stated explicitly: common generators default to RSA and SHA-1.
const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const VALIDITY_YEARS = 10;

export function publicKeyFingerprint(certPem: string): string {
  const spki = new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}

/** This machine's addresses and names, for the certificate's SANs. */
export function localSubjectAltNames(): { type: 'ip' | 'dns'; value: string }[] {
  const ips = new Set(['127.0.0.1', '::1']);
  for (const list of Object.values(networkInterfaces())) {
    for (const addr of list ?? []) if (!addr.address.includes('%')) ips.add(addr.address);
  }
  const names = new Set(['localhost', hostname()]);
  return [
    ...[...names].map((value) => ({ type: 'dns' as const, value })),
    ...[...ips].map((value) => ({ type: 'ip' as const, value })),
  ];
}

export async function generateCertificate(
  altNames = localSubjectAltNames(),
  now = new Date(),
): Promise<Omit<TlsMaterial, 'fingerprint'>> {
  x509.cryptoProvider.set(webcrypto as Crypto);
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const notAfter = new Date(now);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + VALIDITY_YEARS);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(16)))
      .toString('hex')
      .replace(/^[89a-f]/, '1'),
    name: `CN=Gatehouse on ${hostname()}`,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter,
    signingAlgorithm: ALGORITHM,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(altNames),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)).toString('base64');
  const key = `-----BEGIN PRIVATE KEY-----\n${pkcs8.match(/.{1,64}/g)!.join('\n')}\n-----END PRIVATE KEY-----\n`;
  return { cert: cert.toString('pem') + '\n', key };
}

/** Loads `tls-cert.pem` / `tls-key.pem` from the data directory, making them on first start. */
export async function loadOrCreateCertificate(
  dataDir: string,
  options: { regenerate?: boolean } = {},
): Promise<TlsMaterial> {
  const certPath = join(dataDir, 'tls-cert.pem');
  const keyPath = join(dataDir, 'tls-key.pem');
  if (!options.regenerate && existsSync(certPath) && existsSync(keyPath)) {
    const cert = readFileSync(certPath, 'utf8');
    return { cert, key: readFileSync(keyPath, 'utf8'), fingerprint: publicKeyFingerprint(cert) };
  }
  const made = await generateCertificate();
  // Written to temporary names and renamed, so a crash never leaves a half pair.
  writeFileSync(`${keyPath}.tmp`, made.key, { mode: 0o600 });
  writeFileSync(`${certPath}.tmp`, made.cert, { mode: 0o644 });
  renameSync(`${keyPath}.tmp`, keyPath);
  renameSync(`${certPath}.tmp`, certPath);
  return { ...made, fingerprint: publicKeyFingerprint(made.cert) };
}
