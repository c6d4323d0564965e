import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registration, startTestServer, type TestServer } from '../../../helpers/gatehouse';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => server.dispose());

async function race(maxUses: number, requests: number) {
  const token = (await (
    await server.admin('/api/admin/registration-tokens', { json: { expires_in_hours: 1, max_uses: maxUses } })
  ).json()) as {
    id: string;
    token: string;
  };
  const answers = await Promise.all(
    Array.from({ length: requests }, () => server.lan('/api/hosts/register', { json: registration(token.token) })),
  );
  const statuses = answers.map((a) => a.status);
  const bodies = await Promise.all(answers.map((a) => a.json() as Promise<{ error?: { code: string } }>));
  const after = (await (await server.admin(`/api/admin/registration-tokens/${token.id}`)).json()) as {
    use_count: number;
    used_by_nodes: unknown[];
  };
  return { statuses, bodies, after };
}

describe('concurrent registrations', () => {
  it('50 at once against max_uses 5 yield exactly 5 hosts', async () => {
    const { statuses, bodies, after } = await race(5, 50);
    expect(statuses.filter((s) => s === 201)).toHaveLength(5);
    expect(bodies.filter((b) => b.error?.code === 'TOKEN_EXHAUSTED')).toHaveLength(45);
    expect(after.use_count).toBe(5);
    expect(after.used_by_nodes).toHaveLength(5);
  });

  it('200 at once against max_uses 25 yield exactly 25 hosts', async () => {
    const { statuses, after } = await race(25, 200);
    expect(statuses.filter((s) => s === 201)).toHaveLength(25);
    expect(statuses.filter((s) => s !== 201 && s !== 401)).toEqual([]);
    expect(after.use_count).toBe(25);
    expect(after.used_by_nodes).toHaveLength(25);
  });
});
