import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registration, startTestServer, type TestServer } from '../helpers/gatehouse';
import { hostileCases, prng, rawRequest, type HostileCase } from '../helpers/hostile';
import { contractErrorProblem, histogram, jsonOf, pool, rawExchange, type RawOutcome } from '../helpers/http-client';

const COUNT = 10_000;
const SEED = Number(process.env.HOSTILE_SEED ?? Date.now() % 1_000_000);

/** Kinds where the client never finishes its request, so no answer at all is a fair outcome. */
const UNFINISHED = new Set(['truncated body', 'chunk larger than sent']);

/** The request line, cut short, to name a failing case. */
const requestLine = (c: HostileCase) => c.parts[0]!.toString('latin1', 0, 100).split('\r\n')[0];

interface Verdict {
  bucket: string;
  problem?: string;
}

/**
 * What one exchange says about the server. Node's own parser refuses some requests before
 * Gatehouse sees them (a bodyless 400/431, or a closed socket): those are counted apart.
 * Everything Gatehouse answers must be below 500, and every error it sends is a contract error.
 */
function judge(c: HostileCase, outcome: RawOutcome): Verdict {
  const response = outcome.response;
  if (!response) {
    if (outcome.closedByServer) return { bucket: 'connection closed without an answer' };
    return UNFINISHED.has(c.kind)
      ? { bucket: 'no answer to an unfinished request' }
      : { bucket: 'no answer', problem: `${c.kind}: no answer within the timeout` };
  }
  const { status, headers, body } = response;
  if (status >= 500)
    return {
      bucket: String(status),
      problem: `${c.kind} on ${c.listener} (${requestLine(c)}): ${status} ${body.slice(0, 200)}`,
    };
  if (status < 400) return { bucket: String(status) };
  if (!headers['content-type'] && body === '') return { bucket: `parser ${status}` };
  if (c.head) return { bucket: `${status} (HEAD)` };
  const problem = contractErrorProblem({ status, body });
  const code = (jsonOf({ status, headers, body }) as { error?: { code?: string } } | undefined)?.error?.code;
  return {
    bucket: `${status} ${code ?? 'not JSON'}`,
    problem: problem ? `${c.kind} on ${c.listener} (${requestLine(c)}): ${problem}` : undefined,
  };
}

let server: TestServer;
let limited: TestServer;
beforeAll(async () => {
  // A high failure limit, so rate limiting does not hide what the parsers and validators do.
  server = await startTestServer({ failureLimit: 1_000_000 });
  limited = await startTestServer({ failureLimit: 5 });
});
afterAll(async () => {
  await server.dispose();
  await limited.dispose();
});

async function targets(s: TestServer) {
  const created = await s.admin('/api/admin/registration-tokens', {
    json: { expires_in_hours: 1, max_uses: 0, auto_approve: true },
  });
  const token = (await created.json()) as { id: string; token: string };
  const reg = await s.lan('/api/hosts/register', { json: registration(token.token) });
  const host = (await reg.json()) as { host_id: string; host_token: string };
  return {
    lanHost: new URL(s.endpoint.lan_url).host,
    adminHost: new URL(s.endpoint.admin_url).host,
    adminToken: s.adminToken,
    hostCredential: host.host_token,
    tokenId: token.id,
    hostId: host.host_id,
    token: token.token,
  };
}

describe('hostile requests against both listeners', () => {
  it(`answers ${COUNT.toLocaleString('en')}+ generated hostile requests without a 5xx, every error a contract error`, async () => {
    const t = await targets(server);
    const cases = hostileCases(t, COUNT, prng(SEED));
    const started = Date.now();
    const verdicts = await pool(
      cases.map((c, i) => async () => {
        const url = c.listener === 'lan' ? server.endpoint.lan_url : server.endpoint.admin_url;
        const outcome = await rawExchange(url, c.parts, {
          gapMs: c.gapMs,
          endAfterWrite: c.endAfterWrite,
          timeoutMs: c.timeoutMs ?? 10_000,
          // Spread over many loopback sources, as a scan from a subnet would be.
          localAddress: `127.3.${Math.floor(i / 250) % 250}.${(i % 250) + 1}`,
        });
        return judge(c, outcome);
      }),
      48,
    );
    const seconds = (Date.now() - started) / 1000;
    const problems = verdicts.flatMap((v) => (v.problem ? [v.problem] : []));
    const buckets = histogram(verdicts.map((v) => v.bucket));
    const connectionLevel = Object.entries(buckets)
      .filter(([b]) => b.startsWith('parser') || b.startsWith('connection') || b.startsWith('no answer'))
      .reduce((n, [, k]) => n + k, 0);
    console.log(
      `hostile requests (seed ${SEED}): ${cases.length} sent in ${seconds.toFixed(1)} s; ` +
        `${cases.length - connectionLevel} answered by Gatehouse, ${connectionLevel} refused at the connection level; ` +
        `kinds ${JSON.stringify(histogram(cases.map((c) => c.kind)))}; outcomes ${JSON.stringify(buckets)}; ` +
        `${problems.length} problems by request ${JSON.stringify(histogram(problems.map((p) => /\(([A-Za-z ]+ [^ ]+)/.exec(p)?.[1] ?? p.slice(0, 60))))}${problems.length ? `, first: ${JSON.stringify([...new Set(problems)].slice(0, 15), null, 1)}` : ''}`,
    );
    expect(cases.length).toBeGreaterThanOrEqual(COUNT);
    expect(problems).toEqual([]);
    // The server is still up and serving after all of it.
    expect((await server.lan('/api/health')).status).toBe(200);
    expect((await server.admin('/api/admin/hosts')).status).toBe(200);
  }, 150_000);

  it('with the rate limiter on, guesses from one address end in 429 RATE_LIMITED, still contract errors', async () => {
    const t = await targets(limited);
    const lan = limited.endpoint.lan_url;
    const answers: string[] = [];
    const problems: string[] = [];
    const note = (outcome: RawOutcome) => {
      const r = outcome.response;
      if (!r) return answers.push('no answer');
      const code = (jsonOf({ status: r.status, headers: r.headers, body: r.body }) as { error?: { code?: string } })
        ?.error?.code;
      answers.push(`${r.status} ${code}`);
      const problem = contractErrorProblem(r);
      if (problem) problems.push(problem);
      if (r.status === 429 && !(Number(r.headers['retry-after']) > 0)) problems.push('429 without Retry-After');
    };
    const from = { localAddress: '127.0.0.9', timeoutMs: 10_000 };
    const random = prng(SEED);
    for (let i = 0; i < 40; i++) {
      // Malformed tokens, unknown ones and garbage-typed tokens, all guesses from one address.
      const token = [`GATE-${'ZZZZ-'.repeat(6)}Z`, 'GATE-0000-0000', 12345, t.token.replace(/.$/, '0')][i % 4];
      const body = JSON.stringify(registration(String(token), random() < 0.5 ? {} : { token }));
      note(await rawExchange(lan, [rawRequest(t.lanHost, 'POST', '/api/hosts/register', { body })], from));
    }
    // A dead credential, tried again and again: limited per credential.
    for (let i = 0; i < 20; i++) {
      note(
        await rawExchange(
          lan,
          [rawRequest(t.lanHost, 'POST', '/api/hosts/heartbeat', { auth: 'Bearer gh_host_dead', body: '{}' })],
          from,
        ),
      );
    }
    // Meanwhile the enrolled host behind the same address keeps beating.
    const live = await rawExchange(
      lan,
      [rawRequest(t.lanHost, 'POST', '/api/hosts/heartbeat', { auth: `Bearer ${t.hostCredential}`, body: '{}' })],
      from,
    );
    console.log(
      `with the limiter (5 a minute): ${JSON.stringify(histogram(answers))}; live host's beat ${live.response?.status}`,
    );
    expect(problems).toEqual([]);
    expect(answers.filter((a) => a.startsWith('429')).length).toBeGreaterThanOrEqual(30);
    expect(answers.every((a) => a === '429 RATE_LIMITED' || /^40[01] /.test(a))).toBe(true);
    expect(live.response?.status).toBe(204);
  });
});
