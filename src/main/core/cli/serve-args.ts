import { parseArgs } from 'node:util';

export interface ServeOptions {
  dataDir: string;
  port: number;
  adminPort: number;
  bind: string;
  advertiseUrl?: string;
  http: boolean;
}

export const DEFAULT_LAN_PORT = 7443;
export const DEFAULT_ADMIN_PORT = 7444;

const USAGE =
  'usage: npm run serve -- --data-dir DIR [--port N] [--admin-port M] [--bind ADDR] [--advertise-url URL] [--http]';

export class UsageError extends Error {
  constructor(message: string) {
    super(`${message}\n${USAGE}`);
  }
}

function port(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new UsageError(`${name} must be a port number 0–65535, not ${value}`);
  return n;
}

/** The headless command line of the contract. */
export function parseServeArgs(argv: string[]): ServeOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        'data-dir': { type: 'string' },
        port: { type: 'string' },
        'admin-port': { type: 'string' },
        bind: { type: 'string' },
        'advertise-url': { type: 'string' },
        http: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const v = parsed.values;
  if (!v['data-dir']) throw new UsageError('--data-dir is required');
  const advertiseUrl = v['advertise-url']?.replace(/\/+$/, '');
  if (advertiseUrl !== undefined && !/^https?:\/\/[^/\s]+$/.test(advertiseUrl)) {
    throw new UsageError(`--advertise-url must be http(s)://host[:port], not ${advertiseUrl}`);
  }
  return {
    dataDir: v['data-dir'],
    port: port(v.port, DEFAULT_LAN_PORT, '--port'),
    adminPort: port(v['admin-port'], DEFAULT_ADMIN_PORT, '--admin-port'),
    bind: v.bind ?? '0.0.0.0',
    advertiseUrl,
    http: v.http ?? false,
  };
}
