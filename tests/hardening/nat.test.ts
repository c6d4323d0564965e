import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registration, startTestServer, type TestServer } from '../helpers/gatehouse';
import { histogram, httpRequest, jsonOf, pool } from '../helpers/http-client';

/** Every host of the rack reaches Gatehouse through one NAT address. */
const NAT = '127.0.0.5';
const DELETED = 200;
const HEALTHY = 50;
const ROUNDS = 4;

let server: TestServer;
beforeAll(async () => {
  // The production limit (10 refusals a minute), not the tests' lenient default.
  server = await startTestServer({ failureLimit: 10 });
});
afterAll(async () => server.dispose());

const fromNat = (path: string, options: Parameters<typeof httpRequest>[1] = {}) =>
  httpRequest(`${server.endpoint.lan_url}${path}`, { localAddress: NAT, timeoutMs: 15_000, ...options });

describe('hosts behind one NAT address', () => {
  it('keeps 50 healthy hosts ONLINE and never 429 while 200 deleted hosts beat with dead credentials from the same address', async () => {
    const res = await server.admin('/api/admin/registration-tokens', {
      json: { expires_in_hours: 1, max_uses: 0, auto_approve: true },
    });
    const token = ((await res.json()) as { token: string }).token;
    // Enrolment itself from the NAT address: successes never count against it.
    const enrolled = await pool(
      Array.from({ length: DELETED + HEALTHY }, () => async () => {
        const answer = await fromNat('/api/hosts/register', { json: registration(token) });
        expect(answer.status).toBe(201);
        return jsonOf(answer) as { host_id: string; host_token: string };
      }),
      25,
    );
    const doomed = enrolled.slice(0, DELETED);
    const healthy = enrolled.slice(DELETED);
    for (const host of doomed) {
      expect((await server.admin(`/api/admin/hosts/${host.host_id}`, { method: 'DELETE' })).status).toBe(204);
    }

    const deletedAnswers: string[] = [];
    const healthyAnswers: string[] = [];
    const started = Date.now();
    for (let round = 0; round < ROUNDS; round++) {
      // Interleaved: dead credentials and live ones arrive mixed, as they would through one NAT.
      const jobs = [...doomed.map((h) => ({ h, dead: true })), ...healthy.map((h) => ({ h, dead: false }))]
        .sort(() => Math.random() - 0.5)
        .map(({ h, dead }) => async () => {
          const answer = await fromNat('/api/hosts/heartbeat', {
            method: 'POST',
            headers: { Authorization: `Bearer ${h.host_token}` },
          });
          const code = (jsonOf(answer) as { error?: { code?: string } } | undefined)?.error?.code;
          (dead ? deletedAnswers : healthyAnswers).push(`${answer.status}${code ? ` ${code}` : ''}`);
        });
      await pool(jobs, 25);
    }
    await server.gatehouse.heartbeats.flush().catch(() => 0);

    const connectivity: string[] = [];
    for (const host of healthy) {
      const detail = await server.admin(`/api/admin/hosts/${host.host_id}`);
      const body = (await detail.json()) as { connectivity: string; status: string };
      connectivity.push(`${body.status} ${body.connectivity}`);
    }
    console.log(
      `NAT ${NAT}: ${ROUNDS} rounds in ${((Date.now() - started) / 1000).toFixed(1)} s; ` +
        `deleted hosts' beats ${JSON.stringify(histogram(deletedAnswers))}; ` +
        `healthy hosts' beats ${JSON.stringify(histogram(healthyAnswers))}; ` +
        `healthy hosts now ${JSON.stringify(histogram(connectivity))}`,
    );
    expect(healthyAnswers).toHaveLength(HEALTHY * ROUNDS);
    expect(healthyAnswers.every((a) => a === '204')).toBe(true);
    expect(connectivity.every((c) => c === 'APPROVED ONLINE')).toBe(true);
    // The dead credentials are refused, and past the limit slowed per credential.
    expect(deletedAnswers.every((a) => a === '401 UNAUTHORIZED' || a === '429 RATE_LIMITED')).toBe(true);
    expect(deletedAnswers).toContain('401 UNAUTHORIZED');
    // And a newcomer behind the same address can still enrol.
    expect((await fromNat('/api/hosts/register', { json: registration(token) })).status).toBe(201);
  }, 90_000);
});
