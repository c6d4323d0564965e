import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  describeListenError,
  parseServeArgs,
  parseServeCommand,
  SERVE_HELP,
} from '../../../../src/main/core/cli/serve-args';

const run = (argv: string[]) => {
  const command = parseServeCommand(argv);
  if (command.help) throw new Error('expected options, got help');
  return command.options;
};

/** The UsageError message parseServeCommand throws for `argv`. */
const refusal = (argv: string[]): string => {
  try {
    parseServeCommand(argv);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(argv)}`);
};

describe('the headless command line', () => {
  it('takes every option of the contract', () => {
    expect(
      parseServeArgs([
        '--data-dir',
        'D',
        '--port',
        '0',
        '--admin-port',
        '0',
        '--bind',
        '127.0.0.1',
        '--advertise-url',
        'https://gh.lab:7443/',
        '--http',
      ]),
    ).toEqual({
      dataDir: 'D',
      port: 0,
      adminPort: 0,
      bind: '127.0.0.1',
      advertiseUrl: 'https://gh.lab:7443',
      http: true,
    });
  });

  it('defaults to HTTPS on every interface, ports 7443 and 7444', () => {
    expect(parseServeArgs(['--data-dir', 'D'])).toEqual({
      dataDir: 'D',
      port: 7443,
      adminPort: 7444,
      bind: '0.0.0.0',
      advertiseUrl: undefined,
      http: false,
    });
  });

  it('takes the team-mode options', () => {
    expect(
      run([
        '--data-dir',
        'D',
        '--store',
        'postgres://gatehouse@db.lab:5432/gatehouse',
        '--admin-bind',
        '10.0.0.5',
        '--secret-key-file',
        '/etc/gatehouse/key',
        '--tls-cert',
        'cert.pem',
        '--tls-key',
        'key.pem',
        '--metrics-bind',
        '[::1]:9464',
      ]),
    ).toMatchObject({
      store: 'postgres://gatehouse@db.lab:5432/gatehouse',
      adminBind: '10.0.0.5',
      secretKeyFile: '/etc/gatehouse/key',
      tlsCert: 'cert.pem',
      tlsKey: 'key.pem',
      metricsBind: { host: '::1', port: 9464 },
    });
    expect(run(['--data-dir', 'D', '--store', 'postgresql://h/db', '--metrics-bind', '0.0.0.0:0'])).toMatchObject({
      store: 'postgresql://h/db',
      metricsBind: { host: '0.0.0.0', port: 0 },
    });
  });

  it.each([
    [[]],
    [['--data-dir', 'D', '--port', 'eighty']],
    [['--data-dir', 'D', '--port', '70000']],
    [['--data-dir', 'D', '--frobnicate']],
    [['--data-dir', 'D', '--advertise-url', 'ftp://x']],
    // Pasted into join.sh and the join command: no quote, $( ) or $' may pass.
    [['--data-dir', 'D', '--advertise-url', "https://x'$(touch /tmp/pwned)"]],
    [['--data-dir', 'D', '--advertise-url', "https://gh$'.lab"]],
  ])('refuses %j with a usage message', (argv) => {
    expect(() => parseServeArgs(argv)).toThrow(/usage: npm run serve/);
  });

  it.each([
    [['--data-dir', 'D', '--frobnicate'], /^unknown option --frobnicate\n/],
    [['--data-dir', 'D', '-x'], /^unknown option -x\n/],
    [['--data-dir', 'D', '--port'], /^--port needs a value\n/],
    [['--data-dir', 'D', 'extra'], /^unexpected argument extra/],
    [['--data-dir', 'D', '--bind', 'every'], /^--bind must be an IP address .*, not every\n/],
    [['--data-dir', 'D', '--admin-bind', '10.0.0'], /^--admin-bind must be an IP address .*, not 10\.0\.0\n/],
    [
      ['--data-dir', 'D', '--store', 'mysql://h/db'],
      /^--store must be a postgres:\/\/user@host\[:port\]\/database URL\n/,
    ],
    [['--data-dir', 'D', '--store', 'not a url'], /^--store must be a postgres:\/\//],
    [['--data-dir', 'D', '--tls-cert', 'c.pem'], /^--tls-cert and --tls-key go together/],
    [['--data-dir', 'D', '--tls-key', 'k.pem'], /^--tls-cert and --tls-key go together/],
    [['--data-dir', 'D', '--secret-key-file', ' '], /^--secret-key-file needs a file path/],
    [['--data-dir', 'D', '--metrics-bind', '9464'], /^--metrics-bind must be ADDR:PORT .*, not 9464\n/],
    [['--data-dir', 'D', '--metrics-bind', 'metrics.lab:9464'], /^--metrics-bind must be ADDR:PORT/],
    [['--data-dir', 'D', '--metrics-bind', '127.0.0.1:99999'], /^--metrics-bind must be ADDR:PORT/],
  ])('refuses %j naming the option', (argv, message) => {
    const text = refusal(argv);
    expect(text).toMatch(message);
    expect(text).toMatch(/--help lists every option/);
  });

  it('never repeats a store URL, which may carry a password', () => {
    expect(refusal(['--data-dir', 'D', '--store', 'mysql://u:hunter2@h/db'])).not.toContain('hunter2');
  });

  it.each([[['--help']], [['-h']], [['--data-dir', 'D', '--frobnicate', '--help']], [['--port', 'x', '-h']]])(
    'answers %j with the help text, whatever else is there',
    (argv) => {
      expect(parseServeCommand(argv)).toEqual({ help: true, text: SERVE_HELP });
    },
  );

  it('treats --help after -- as no request for help', () => {
    expect(refusal(['--data-dir', 'D', '--', '--help'])).toMatch(/^unexpected argument --help/);
  });

  it('lists every option in --help', () => {
    for (const option of [
      '--data-dir DIR',
      '--port N',
      '--admin-port M',
      '--bind ADDR',
      '--advertise-url URL',
      '--http',
      '--store URL',
      '--admin-bind ADDR',
      '--secret-key-file F',
      '--tls-cert F',
      '--tls-key F',
      '--metrics-bind ADDR:PORT',
      '-h, --help',
    ]) {
      expect(SERVE_HELP).toMatch(new RegExp(`^ +${option.replace(/[-]/g, '\\-')}\\s`, 'm'));
    }
    expect(SERVE_HELP).toContain('endpoint.json');
  });

  it('keeps parseServeArgs for callers without help, which get the help text as a UsageError', () => {
    expect(() => parseServeArgs(['--help'])).toThrow(/--metrics-bind ADDR:PORT/);
  });
});

describe('describeListenError', () => {
  const servers: Server[] = [];
  afterEach(() => servers.splice(0).forEach((s) => s.close()));

  /** The error Node gives when listening on host:port fails. */
  function listenError(host: string, port: number): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const server = createServer();
      servers.push(server);
      server.once('error', resolve);
      server.listen(port, host, () => reject(new Error(`listened on ${host}:${port}`)));
    });
  }

  it('says a busy port is taken and names the option that moves it', async () => {
    const busy = createServer();
    servers.push(busy);
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as { port: number }).port;
    const error = await listenError('127.0.0.1', port);
    expect(describeListenError(error, '--admin-port')).toBe(
      `Cannot listen on port ${port} of 127.0.0.1: another program (perhaps another Gatehouse) is already listening there. ` +
        'Stop it, or choose another port with --admin-port N (--admin-port 0 picks a free port).',
    );
    expect(describeListenError(error, '--metrics-bind')).toMatch(/with --metrics-bind ADDR:PORT\.$/);
  });

  it('says an address this machine lacks cannot be listened on and names --bind', async () => {
    const error = await listenError('192.0.2.1', 0);
    expect(describeListenError(error, '--port')).toMatch(
      /^Cannot listen on 192\.0\.2\.1: 192\.0\.2\.1 is not an address of this machine\. Choose one it has with --bind ADDR \(0\.0\.0\.0 means every interface\)\.$/,
    );
    expect(describeListenError(error, '--admin-port')).toMatch(/with --admin-bind ADDR\.$/);
  });

  it('says a privileged port needs privileges', () => {
    // Tests run as root here, so the refusal is built the way Node reports it.
    const error = Object.assign(new Error('listen EACCES: permission denied 0.0.0.0:80'), {
      code: 'EACCES',
      syscall: 'listen',
      address: '0.0.0.0',
      port: 80,
    });
    expect(describeListenError(error, '--port')).toMatch(
      /^Cannot listen on port 80 of 0\.0\.0\.0: this user is not allowed to .*Choose a port from 1024 up with --port N/,
    );
  });

  it('leaves other errors to the caller', () => {
    expect(describeListenError(Object.assign(new Error('x'), { code: 'ENOMEM' }), '--port')).toBeUndefined();
    expect(describeListenError(new Error('plain'), '--port')).toBeUndefined();
    expect(describeListenError(undefined, '--port')).toBeUndefined();
  });
});
