import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registration, startTestServer, type TestServer } from '../helpers/gatehouse';

/*
 * The enrolment rules of the contract, each against a real server over HTTP.
 *
 * The join.sh side of these rules is covered in tests/e2e/join-script.test.ts and not
 * repeated here: re-running join.sh on an enrolled host under dash and busybox changes
 * nothing (the host stays ONLINE), and a rejected `--reenrol` leaves the host working.
 */

let server: TestServer;
let manual: string;
let automatic: string;

async function newToken(autoApprove: boolean): Promise<string> {
  const res = await server.admin('/api/admin/registration-tokens', {
    json: { expires_in_hours: 1, max_uses: 0, auto_approve: autoApprove },
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { token: string }).token;
}

beforeAll(async () => {
  server = await startTestServer();
  manual = await newToken(false);
  automatic = await newToken(true);
});
afterAll(async () => server.dispose());

interface Registered {
  host_id: string;
  host_token: string;
  status: string;
  verification_code: string;
  replaces?: string | null;
}

async function register(token: string, machineId: string): Promise<Registered> {
  const res = await server.lan('/api/hosts/register', { json: registration(token, { machine_id: machineId }) });
  expect(res.status).toBe(201);
  return (await res.json()) as Registered;
}

const asHost = (credential: string, path: string, method = 'GET') =>
  server.lan(path, { method, headers: { Authorization: `Bearer ${credential}` } });

async function hostRecord(id: string) {
  const res = await server.admin(`/api/admin/hosts/${id}`);
  expect(res.status).toBe(200);
  return (await res.json()) as { id: string; status: string; conflict: boolean; replaces: string | null };
}

async function decide(id: string, decision: 'approve' | 'reject') {
  const res = await server.admin(`/api/admin/hosts/${id}/${decision}`, { json: {} });
  expect(res.status).toBe(200);
}

const machine = () => `rules-${randomBytes(6).toString('hex')}`;

describe('enrolment rules over HTTP', () => {
  it('a host approved then rejected that registers again with an auto-approve token waits as PENDING, replacing itself', async () => {
    const machineId = machine();
    const first = await register(automatic, machineId);
    expect(first.status).toBe('APPROVED');
    await decide(first.host_id, 'reject');
    expect((await hostRecord(first.host_id)).status).toBe('REJECTED');

    const again = await register(automatic, machineId);
    console.log(`re-registration after approve→reject: status ${again.status}, replaces ${again.replaces}`);
    expect(again.status).toBe('PENDING');
    expect(again.replaces).toBe(first.host_id);
    expect((await hostRecord(again.host_id)).replaces).toBe(first.host_id);
  });

  it('two pending requests for one machine from different credentials both wait, flagged conflict; approving one retires the other', async () => {
    const machineId = machine();
    const a = await register(manual, machineId);
    const b = await register(manual, machineId);
    expect(a.status).toBe('PENDING');
    expect(b.status).toBe('PENDING');
    expect(a.host_id).not.toBe(b.host_id);
    expect(a.verification_code).not.toBe(b.verification_code);
    const [ra, rb] = [await hostRecord(a.host_id), await hostRecord(b.host_id)];
    console.log(
      `rival requests: ${ra.status}/${rb.status}, conflict ${ra.conflict}/${rb.conflict}, codes ${a.verification_code}/${b.verification_code}`,
    );
    expect([ra.status, rb.status]).toEqual(['PENDING', 'PENDING']);
    expect([ra.conflict, rb.conflict]).toEqual([true, true]);
    // Both credentials still answer while the admin has not decided.
    expect((await asHost(a.host_token, '/api/hosts/me')).status).toBe(200);
    expect((await asHost(b.host_token, '/api/hosts/me')).status).toBe(200);

    await decide(b.host_id, 'approve');
    expect((await asHost(b.host_token, '/api/hosts/heartbeat', 'POST')).status).toBe(204);
    expect((await asHost(a.host_token, '/api/hosts/me')).status).toBe(401);
    expect((await asHost(a.host_token, '/api/hosts/heartbeat', 'POST')).status).toBe(401);
    const after = await hostRecord(b.host_id);
    expect(after.status).toBe('APPROVED');
    expect(after.conflict).toBe(false);
  });

  it('a clone presenting a live host’s machine_id never knocks that host off', async () => {
    const machineId = machine();
    const live = await register(automatic, machineId);
    expect(live.status).toBe('APPROVED');
    expect((await asHost(live.host_token, '/api/hosts/heartbeat', 'POST')).status).toBe(204);

    const clone = await register(automatic, machineId);
    expect(clone.status).toBe('PENDING');
    expect(clone.replaces).toBe(live.host_id);
    for (let i = 0; i < 3; i++) {
      expect((await asHost(live.host_token, '/api/hosts/heartbeat', 'POST')).status).toBe(204);
    }
    const me = (await (await asHost(live.host_token, '/api/hosts/me')).json()) as { status: string };
    expect(me.status).toBe('APPROVED');
    expect((await hostRecord(live.host_id)).status).toBe('APPROVED');
    // A second clone changes nothing for the live host either.
    const clone2 = await register(manual, machineId);
    expect(clone2.status).toBe('PENDING');
    expect((await asHost(live.host_token, '/api/hosts/heartbeat', 'POST')).status).toBe(204);

    // The admin's rejection of the clone leaves the live host as it was.
    await decide(clone.host_id, 'reject');
    await decide(clone2.host_id, 'reject');
    expect((await asHost(live.host_token, '/api/hosts/heartbeat', 'POST')).status).toBe(204);
    expect((await hostRecord(live.host_id)).status).toBe('APPROVED');
    console.log(`clone: live host still APPROVED and beating after two clones were queued and rejected`);
  });
});
