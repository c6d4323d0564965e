/** Where hosts reach this Gatehouse; known once the LAN listener is up. */
export interface LanEndpoint {
  lanUrl: string;
  /** base64 SHA-256 of the certificate's SubjectPublicKeyInfo; null with `--http`. */
  tlsFingerprint: string | null;
}

/**
 * VALUE as one single-quoted shell word: nothing inside (`$`, backquotes, `"`) is
 * expanded; a `'` closes the quote, adds an escaped quote and reopens.
 */
export const shellQuote = (value: string): string => `'${value.replaceAll("'", `'\\''`)}'`;

/** `<lan_url>/join#token=…&pin=…`: the fragment never reaches a server or its logs. */
export function joinUrl(endpoint: LanEndpoint, token: string): string {
  const pin = endpoint.tlsFingerprint ? `&pin=${encodeURIComponent(endpoint.tlsFingerprint)}` : '';
  return `${endpoint.lanUrl}/join#token=${encodeURIComponent(token)}${pin}`;
}

/**
 * A copy-paste one-liner for the host. With TLS, curl pins the public key, so `-k`
 * (no CA for a self-signed certificate) gives up nothing: a different key is refused.
 * The token goes to `sh` in its environment, never on a command line, so it does not
 * show in the host's process list while the script waits for approval.
 */
export function joinCommand(endpoint: LanEndpoint, token: string): string {
  const script = shellQuote(`${endpoint.lanUrl}/join.sh`);
  const curl = endpoint.tlsFingerprint
    ? `curl -fsS --pinnedpubkey ${shellQuote(`sha256//${endpoint.tlsFingerprint}`)} -k ${script}`
    : `curl -fsS ${script}`;
  return `${curl} | GATEHOUSE_TOKEN=${shellQuote(token)} sh`;
}
