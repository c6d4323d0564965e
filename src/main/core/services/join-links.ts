/** Where hosts reach this Gatehouse; known once the LAN listener is up. */
export interface LanEndpoint {
  lanUrl: string;
  /** base64 SHA-256 of the certificate's SubjectPublicKeyInfo; null with `--http`. */
  tlsFingerprint: string | null;
}

const shellQuote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;

/** `<lan_url>/join#token=…&pin=…`: the fragment never reaches a server or its logs. */
export function joinUrl(endpoint: LanEndpoint, token: string): string {
  const pin = endpoint.tlsFingerprint ? `&pin=${encodeURIComponent(endpoint.tlsFingerprint)}` : '';
  return `${endpoint.lanUrl}/join#token=${encodeURIComponent(token)}${pin}`;
}

/**
 * A copy-paste one-liner for the host. With TLS, curl pins the public key, so `-k`
 * (no CA for a self-signed certificate) gives up nothing: a different key is refused.
 */
export function joinCommand(endpoint: LanEndpoint, token: string): string {
  const script = shellQuote(`${endpoint.lanUrl}/join.sh`);
  const curl = endpoint.tlsFingerprint
    ? `curl -fsSk --pinnedpubkey ${shellQuote(`sha256//${endpoint.tlsFingerprint}`)} ${script}`
    : `curl -fsS ${script}`;
  return `${curl} | sh -s -- ${shellQuote(token)}`;
}
