import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { fillJoinScript } from '../../../../src/main/core/http/lan/join-routes';
import { joinCommand, joinUrl, shellQuote } from '../../../../src/main/core/services/join-links';

const TOKEN = 'GATE-7Y3K-MNBV-2QP5-LXWJ-ABCD-EFGH-J';
const tls = { lanUrl: 'https://192.0.2.10:7443', tlsFingerprint: 'AbC+/def=' };
const plain = { lanUrl: 'http://192.0.2.10:7080', tlsFingerprint: null };

/** What sh makes of a command line's words: each argument on its own line. */
const words = (line: string) => spawnSync('dash', ['-c', `printf '%s\\n' ${line}`], { encoding: 'utf8' }).stdout;

describe('joinCommand', () => {
  it('pins the key and hands the token to sh in its environment, not its arguments', () => {
    expect(joinCommand(tls, TOKEN)).toBe(
      `curl -fsS --pinnedpubkey 'sha256//AbC+/def=' -k 'https://192.0.2.10:7443/join.sh' | GATEHOUSE_TOKEN='${TOKEN}' sh`,
    );
  });

  it('fetches over plain HTTP without pin or -k when the listener has no TLS', () => {
    expect(joinCommand(plain, TOKEN)).toBe(
      `curl -fsS 'http://192.0.2.10:7080/join.sh' | GATEHOUSE_TOKEN='${TOKEN}' sh`,
    );
  });

  it('keeps a URL with quotes and $( ) as one literal word', () => {
    const lanUrl = `http://h/'$(touch /tmp/x)'$'`;
    const command = joinCommand({ lanUrl, tlsFingerprint: null }, TOKEN);
    const url = /^curl -fsS (.*) \| GATEHOUSE_TOKEN=/.exec(command)![1]!;
    expect(words(url)).toBe(`${lanUrl}/join.sh\n`);
  });
});

describe('joinUrl', () => {
  it('carries token and pin in the fragment, percent-encoded', () => {
    expect(joinUrl(tls, TOKEN)).toBe(`https://192.0.2.10:7443/join#token=${TOKEN}&pin=AbC%2B%2Fdef%3D`);
  });
});

describe('shellQuote', () => {
  it('gives back any text unchanged through sh', () => {
    const text = `a'b"c$(d)\`e\`$'f'\\g $&`;
    expect(words(shellQuote(text))).toBe(`${text}\n`);
  });
});

describe('fillJoinScript', () => {
  it("puts URL and pin in as single-quoted words, with $& and $' left as they are", () => {
    const script = 'JOIN_URL=__GATEHOUSE_URL__\nJOIN_PIN=__GATEHOUSE_PIN__\n';
    expect(fillJoinScript(script, { lanUrl: "http://h/$&$'$`'x", tlsFingerprint: null })).toBe(
      `JOIN_URL='http://h/$&$'\\''$\`'\\''x'\nJOIN_PIN=''\n`,
    );
  });
});
