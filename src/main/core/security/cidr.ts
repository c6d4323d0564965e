import { BlockList, isIPv4, isIPv6 } from 'node:net';

/** Normalises `::ffff:10.0.0.5` (IPv4 on a dual-stack socket) to `10.0.0.5`. */
export function normaliseAddress(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped ? mapped[1]! : address;
}

/** True when `address` lies in any of `cidrs`; an empty list allows every address. */
export function addressAllowed(address: string, cidrs: string[]): boolean {
  if (cidrs.length === 0) return true;
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [net, bits] = cidr.split('/');
    list.addSubnet(net!, Number(bits), isIPv6(net!) ? 'ipv6' : 'ipv4');
  }
  const addr = normaliseAddress(address);
  if (isIPv4(addr)) return list.check(addr, 'ipv4');
  if (isIPv6(addr)) return list.check(addr, 'ipv6');
  return false;
}
