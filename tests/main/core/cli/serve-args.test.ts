import { describe, expect, it } from 'vitest';
import { parseServeArgs } from '../../../../src/main/core/cli/serve-args';

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

  it.each([
    [[]],
    [['--data-dir', 'D', '--port', 'eighty']],
    [['--data-dir', 'D', '--port', '70000']],
    [['--data-dir', 'D', '--frobnicate']],
    [['--data-dir', 'D', '--advertise-url', 'ftp://x']],
  ])('refuses %j with a usage message', (argv) => {
    expect(() => parseServeArgs(argv)).toThrow(/usage: npm run serve/);
  });
});
