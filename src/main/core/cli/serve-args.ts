import { ADVERTISE_URL } from '../../../shared/api/schemas';
import { isIP } from 'node:net';
import { parseArgs } from 'node:util';

export interface ServeOptions {
  dataDir: string;
  port: number;
  adminPort: number;
  bind: string;
  advertiseUrl?: string;
  http: boolean;
  /** Team mode: a `postgres://` URL shared by several servers (default: SQLite in dataDir). */
  store?: string;
  /** Team mode: serve the admin listener over HTTPS on this address (default: 127.0.0.1, plain HTTP). */
  adminBind?: string;
  /** The key that encrypts re-showable tokens (default: dataDir/secret.key). */
  secretKeyFile?: string;
  /** A PEM certificate and key to serve instead of the self-signed certificate; always both or neither. */
  tlsCert?: string;
  tlsKey?: string;
  /** Serve `/metrics` on a listener of its own. */
  metricsBind?: { host: string; port: number };
}

export const DEFAULT_LAN_PORT = 7443;
export const DEFAULT_ADMIN_PORT = 7444;

interface OptionSpec {
  name: string;
  short?: string;
  value?: string;
  help: string;
}

/** Every option, in the order --help lists them; parsing and the help text both come from here. */
const OPTIONS: OptionSpec[] = [
  { name: 'data-dir', value: 'DIR', help: 'where the store, keys, admin-token and endpoint.json live (required)' },
  { name: 'port', value: 'N', help: `LAN listener port (default ${DEFAULT_LAN_PORT}; 0 picks a free one)` },
  {
    name: 'admin-port',
    value: 'M',
    help: `admin listener port on 127.0.0.1 (default ${DEFAULT_ADMIN_PORT}; 0 picks a free one)`,
  },
  { name: 'bind', value: 'ADDR', help: 'address the LAN listener listens on (default 0.0.0.0: every interface)' },
  {
    name: 'advertise-url',
    value: 'URL',
    help: 'http(s)://host[:port] that hosts are told to reach (default: found from the interfaces)',
  },
  { name: 'http', help: 'serve the LAN listener without TLS' },
  { name: 'store', value: 'URL', help: 'team mode: a postgres:// store shared by several servers (default: SQLite)' },
  {
    name: 'admin-bind',
    value: 'ADDR',
    help: 'team mode: serve the admin listener over HTTPS on ADDR; named credentials required',
  },
  { name: 'secret-key-file', value: 'F', help: 'key that encrypts re-showable tokens (default: DIR/secret.key)' },
  { name: 'tls-cert', value: 'F', help: 'PEM certificate to serve instead of the self-signed one (with --tls-key)' },
  { name: 'tls-key', value: 'F', help: 'PEM private key of --tls-cert' },
  { name: 'metrics-bind', value: 'ADDR:PORT', help: 'also serve Prometheus /metrics on ADDR:PORT' },
  { name: 'help', short: 'h', help: 'print this help and exit' },
];

const SYNOPSIS =
  'usage: npm run serve -- --data-dir DIR [--port N] [--admin-port M] [--bind ADDR] [--advertise-url URL] [--http]\n' +
  '         [--store URL] [--admin-bind ADDR] [--secret-key-file F] [--tls-cert F --tls-key F] [--metrics-bind ADDR:PORT]';

/** The text `--help` prints: the synopsis and one line per option. */
export const SERVE_HELP = [
  'Runs Gatehouse without its desktop window: the LAN endpoint hosts enrol with, and the admin UI and API on 127.0.0.1.',
  '',
  SYNOPSIS,
  '',
  ...OPTIONS.map((o) => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${o.name}${o.value ? ` ${o.value}` : ''}`;
    return `  ${flag.padEnd(30)} ${o.help}`;
  }),
  '',
  'Once listening it writes DIR/endpoint.json {lan_url, admin_url, login_url, tls_fingerprint, pid};',
  'login_url signs a browser in once, within a minute. The admin token is in DIR/admin-token.',
].join('\n');

/** A command line that cannot be run; the message names the option and ends with the synopsis. */
export class UsageError extends Error {
  constructor(message: string) {
    super(`${message}\n${SYNOPSIS}\n(npm run serve -- --help lists every option)`);
    this.name = 'UsageError';
  }
}

/** What the command line asks for: the help text, or a server with these options. */
export type ServeCommand = { help: true; text: string } | { help: false; options: ServeOptions };

function port(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new UsageError(`${name} must be a port number 0–65535, not ${value}`);
  return n;
}

function address(value: string | undefined, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (value === 'localhost' || isIP(value) !== 0) return value;
  throw new UsageError(`${name} must be an IP address such as 0.0.0.0, 192.168.1.10 or ::, not ${value}`);
}

function file(value: string | undefined, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (value.trim() === '') throw new UsageError(`${name} needs a file path`);
  return value;
}

function store(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  // The value is never echoed: a store URL may carry a password.
  if (!url || !['postgres:', 'postgresql:'].includes(url.protocol) || !url.hostname) {
    throw new UsageError('--store must be a postgres://user@host[:port]/database URL');
  }
  return value;
}

function metricsBind(value: string | undefined): { host: string; port: number } | undefined {
  if (value === undefined) return undefined;
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d+)$/.exec(value);
  const host = match?.[1] ?? match?.[2];
  if (!match || !host || isIP(host) === 0 || Number(match[3]) > 65535) {
    throw new UsageError(`--metrics-bind must be ADDR:PORT such as 127.0.0.1:9464 or [::1]:9464, not ${value}`);
  }
  return { host, port: Number(match[3]) };
}

/** node's parseArgs messages, said the way this command says things. */
function rephrase(error: Error & { code?: string }): string {
  const option = /'(-[^' ]+)/.exec(error.message)?.[1];
  switch (error.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${option ?? error.message}`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return option
        ? `${option} ${error.message.includes('argument missing') ? 'needs a value' : 'takes no value'}`
        : error.message;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument ${/'([^']*)'/.exec(error.message)?.[1] ?? ''}: every value follows its option`.trim();
    default:
      return error.message;
  }
}

/**
 * Reads the headless command line of the contract plus the team-mode options.
 * `--help`/`-h` anywhere before `--` wins over everything else, so a user who is
 * lost gets the help text rather than an error about some other argument.
 */
export function parseServeCommand(argv: string[]): ServeCommand {
  const end = argv.indexOf('--');
  if ((end === -1 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h')) {
    return { help: true, text: SERVE_HELP };
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: Object.fromEntries(
        OPTIONS.map((o) => [o.name, { type: o.value ? 'string' : 'boolean', ...(o.short ? { short: o.short } : {}) }]),
      ) as Record<string, { type: 'string' | 'boolean'; short?: string }>,
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    throw new UsageError(rephrase(error as Error & { code?: string }));
  }
  const v = parsed.values as Record<string, string | undefined> & { http?: boolean };
  if (!v['data-dir']) throw new UsageError('--data-dir is required');
  const advertiseUrl = v['advertise-url']?.replace(/\/+$/, '');
  if (advertiseUrl !== undefined && !ADVERTISE_URL.test(advertiseUrl)) {
    throw new UsageError(
      `--advertise-url must be http(s)://host[:port] (a DNS name or IP address), not ${advertiseUrl}`,
    );
  }
  const tlsCert = file(v['tls-cert'], '--tls-cert');
  const tlsKey = file(v['tls-key'], '--tls-key');
  if ((tlsCert === undefined) !== (tlsKey === undefined)) {
    throw new UsageError('--tls-cert and --tls-key go together: give both, or neither for the self-signed certificate');
  }
  const options: ServeOptions = {
    dataDir: v['data-dir'],
    port: port(v.port, DEFAULT_LAN_PORT, '--port'),
    adminPort: port(v['admin-port'], DEFAULT_ADMIN_PORT, '--admin-port'),
    bind: address(v.bind, '--bind') ?? '0.0.0.0',
    advertiseUrl,
    http: v.http ?? false,
    store: store(v.store),
    adminBind: address(v['admin-bind'], '--admin-bind'),
    secretKeyFile: file(v['secret-key-file'], '--secret-key-file'),
    tlsCert,
    tlsKey,
    metricsBind: metricsBind(v['metrics-bind']),
  };
  return { help: false, options };
}

/**
 * The server options of a command line, for callers that do not offer `--help`;
 * a `--help` here is a UsageError carrying the help text.
 */
export function parseServeArgs(argv: string[]): ServeOptions {
  const command = parseServeCommand(argv);
  if (command.help) throw new UsageError(command.text);
  return command.options;
}

const ADDRESS_FLAG: Record<string, string> = {
  '--port': '--bind',
  '--admin-port': '--admin-bind',
  '--metrics-bind': '--metrics-bind',
};

/**
 * Turns a listener's failure to start into a sentence the admin can act on, naming
 * the option that fixes it (`flag` is the one that chose the port: `--port`,
 * `--admin-port` or `--metrics-bind`). Undefined for errors that are not about
 * the port or address, so the caller reports those as they are.
 */
export function describeListenError(error: unknown, flag: string): string | undefined {
  const e = error as NodeJS.ErrnoException & { address?: string; port?: number };
  if (typeof e?.code !== 'string') return undefined;
  const host = e.address ?? 'this machine';
  const where = e.port ? `port ${e.port} of ${host}` : host;
  const choosePort = flag === '--metrics-bind' ? '--metrics-bind ADDR:PORT' : `${flag} N (${flag} 0 picks a free port)`;
  const addressFlag = ADDRESS_FLAG[flag] ?? '--bind';
  switch (e.code) {
    case 'EADDRINUSE':
      return `Cannot listen on ${where}: another program (perhaps another Gatehouse) is already listening there. Stop it, or choose another port with ${choosePort}.`;
    case 'EACCES':
      return `Cannot listen on ${where}: this user is not allowed to (ports below 1024 need root or CAP_NET_BIND_SERVICE). Choose a port from 1024 up with ${choosePort}.`;
    case 'EADDRNOTAVAIL':
      return `Cannot listen on ${where}: ${e.address ? `${e.address} is` : 'that is'} not an address of this machine. Choose one it has with ${addressFlag} ADDR${addressFlag === '--bind' ? ' (0.0.0.0 means every interface)' : ''}.`;
    default:
      return undefined;
  }
}
