// @peculiar/x509 uses tsyringe, which needs the Reflect metadata polyfill loaded first.
import 'reflect-metadata';
import { X509Certificate, createHash, createPrivateKey, webcrypto } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, statSync } from 'node:fs';
import { hostname, networkInterfaces } from 'node:os';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { writeFileAtomic } from '../durable-file';

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

/** Where loading the pair reports a problem it mended; a pino logger fits. */
export interface CertificateLog {
  warn(detail: Record<string, unknown>, message: string): void;
}

const emitWarning: CertificateLog = {
  warn: (detail, message) => process.emitWarning(`${message} ${JSON.stringify(detail)}`, 'GatehouseCertificate'),
};

/**
 * Loads `tls-cert.pem` / `tls-key.pem` from the data directory, making them on first start,
 * on request, and when the pair on disk is unusable: a file missing or unreadable, or a key
 * that does not belong to the certificate (a crash between the two renames of an earlier
 * write). Making a new pair changes the pin, so that is logged as a warning.
 */
export async function loadOrCreateCertificate(
  dataDir: string,
  options: { regenerate?: boolean; logger?: CertificateLog } = {},
): Promise<TlsMaterial> {
  const certPath = join(dataDir, 'tls-cert.pem');
  const keyPath = join(dataDir, 'tls-key.pem');
  if (!options.regenerate) {
    const loaded = readPair(certPath, keyPath);
    if ('material' in loaded) return loaded.material;
    if (loaded.problem) {
      (options.logger ?? emitWarning).warn(
        { cert: certPath, key: keyPath, problem: loaded.problem, previous_fingerprint: loaded.fingerprint ?? null },
        'the TLS key pair in the data directory is unusable; made a new one: hosts must be re-pinned',
      );
    }
  }
  const made = await generateCertificate();
  // Key first, each file whole and fsync'd before its rename, then the directory entries
  // fsync'd. A crash between the renames leaves a new key beside the old certificate,
  // which the check above finds on the next start.
  writeFileAtomic(keyPath, made.key, 0o600);
  writeFileAtomic(certPath, made.cert, 0o600);
  return { ...made, fingerprint: publicKeyFingerprint(made.cert) };
}

/**
 * Loads an operator's own certificate and key (`--tls-cert`/`--tls-key`, team mode: one
 * certificate for every server behind one name). Refuses a pair that does not match, since
 * serving it would fail every handshake.
 */
export function loadCertificateFiles(certPath: string, keyPath: string): TlsMaterial {
  const loaded = readPair(certPath, keyPath);
  if ('material' in loaded) return loaded.material;
  throw new Error(`cannot use ${certPath} with ${keyPath}: ${loaded.problem ?? 'files missing'}`);
}

type PairOnDisk = { material: TlsMaterial } | { problem: string | null; fingerprint?: string };

function readPair(certPath: string, keyPath: string): PairOnDisk {
  const haveCert = existsSync(certPath);
  const haveKey = existsSync(keyPath);
  if (!haveCert && !haveKey) return { problem: null };
  if (!haveCert || !haveKey) return { problem: `${haveCert ? 'key' : 'certificate'} file missing` };
  let cert: string;
  let fingerprint: string;
  try {
    cert = readFileSync(certPath, 'utf8');
    fingerprint = publicKeyFingerprint(cert);
  } catch {
    return { problem: 'certificate unreadable' };
  }
  let key: string;
  try {
    key = readFileSync(keyPath, 'utf8');
    if (!new X509Certificate(cert).checkPrivateKey(createPrivateKey(key))) {
      return { problem: 'key does not match the certificate', fingerprint };
    }
  } catch {
    return { problem: 'key unreadable', fingerprint };
  }
  if ((statSync(keyPath).mode & 0o077) !== 0) chmodSync(keyPath, 0o600);
  return { material: { cert, key, fingerprint } };
}
