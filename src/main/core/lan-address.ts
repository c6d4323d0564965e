import { networkInterfaces } from 'node:os';

/** The address hosts should use when we listen on every interface: the first non-internal IPv4. */
export function primaryLanAddress(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const addr of list ?? []) if (addr.family === 'IPv4' && !addr.internal) return addr.address;
  }
  return '127.0.0.1';
}

/** Every address this machine has, for the "advertised URL" picker. */
export function allLanAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flatMap((list) => list ?? [])
    .filter((a) => !a.internal && !a.address.startsWith('fe80'))
    .map((a) => a.address);
}

export const isWildcard = (bind: string) => bind === '0.0.0.0' || bind === '::';
