import { isIPv6, type Server, type Socket } from 'node:net';
import { normaliseAddress } from '../security/cidr';

/** How many sockets a listener holds open at once. */
export interface ConnectionLimits {
  /** Across all sources; further connections are closed by the kernel-facing accept loop. */
  maxConnections: number;
  /** Per IPv4 address or IPv6 /64 (one LAN client can hold a whole /64). */
  maxConnectionsPerSource: number;
}

/**
 * Enough for a fleet of hosts behind one NAT address heartbeating at once, far below
 * the descriptor limit (a raised `ulimit -n` is 20k+; Node's default soft limit is often 1024,
 * and the total keeps one address from taking them all).
 */
export const DEFAULT_CONNECTION_LIMITS: Readonly<ConnectionLimits> = Object.freeze({
  maxConnections: 4096,
  maxConnectionsPerSource: 256,
});

export interface ConnectionStats {
  /** Sockets open now. */
  open: number;
  /** Sources holding at least one socket. */
  sources: number;
  /** Sockets closed at once because their source was at its cap. */
  refusedPerSource: number;
  /** Connections dropped because the listener was at its total cap. */
  refusedTotal: number;
}

/**
 * The key a connection is counted under: the IPv4 address, or the /64 prefix of an IPv6
 * address (SLAAC and privacy addresses give one machine as many addresses as it likes
 * inside its /64). IPv4-mapped IPv6 counts as the IPv4 address.
 */
export function sourceKey(address: string | undefined): string {
  if (!address) return 'unknown';
  const addr = normaliseAddress(address.replace(/%.*$/, ''));
  if (!isIPv6(addr)) return addr;
  return `${expandIPv6(addr).slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address, lower-case hex without leading zeros. */
export function expandIPv6(address: string): string[] {
  let text = address.toLowerCase();
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...fill, ...right].map((group) => parseInt(group, 16).toString(16));
}

/**
 * Caps the sockets `server` holds, in total and per source, at the moment they are accepted:
 * a source over its cap has the new socket destroyed before TLS or HTTP spend anything on it,
 * so thousands of idle sockets from one address cannot starve another address's hosts.
 * The total cap is `server.maxConnections`, which Node enforces before making a socket at all.
 */
export function guardConnections(
  server: Server,
  limits: ConnectionLimits,
): { stats(): ConnectionStats; destroyAll(): void } {
  const perSource = new Map<string, number>();
  const sockets = new Set<Socket>();
  let open = 0;
  let refusedPerSource = 0;
  let refusedTotal = 0;
  server.maxConnections = limits.maxConnections;
  server.on('drop', () => refusedTotal++);
  server.prependListener('connection', (socket: Socket) => {
    const key = sourceKey(socket.remoteAddress);
    const held = perSource.get(key) ?? 0;
    if (held >= limits.maxConnectionsPerSource) {
      refusedPerSource++;
      socket.destroy();
      return;
    }
    perSource.set(key, held + 1);
    open++;
    sockets.add(socket);
    socket.once('close', () => {
      open--;
      sockets.delete(socket);
      const left = (perSource.get(key) ?? 1) - 1;
      if (left > 0) perSource.set(key, left);
      else perSource.delete(key);
    });
  });
  return {
    stats: () => ({ open, sources: perSource.size, refusedPerSource, refusedTotal }),
    // Includes sockets still in their TLS handshake, which Node's closeAllConnections does not know.
    destroyAll: () => sockets.forEach((socket) => socket.destroy()),
  };
}
