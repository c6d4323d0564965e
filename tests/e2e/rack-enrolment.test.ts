import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminEvent, AuditEntry, ExpectedImportResult, Host, RegistrationToken } from '../../src/shared/domain';
import { startTestServer, type TestServer } from '../helpers/gatehouse';

/** A fixture machine of the rack: its firmware identity and the CSV row that expects it. */
const machine = (n: number) => {
  const hex = n.toString(16).padStart(2, '0');
  return {
    hostname: `r12-node-${String(n).padStart(2, '0')}`,
    serial: `CZ2R12${String(n).padStart(4, '0')}`,
    system_uuid: `4c4c4544-0052-3110-80${hex}-b4c04f52${hex}32`,
    mac: `b4:96:91:12:00:${hex}`,
    position: `R12-U${n}`,
  };
};
const RACK = Array.from({ length: 40 }, (_, i) => machine(i + 1));
const CSV = [
  'position,hostname,serial,system_uuid,mac,labels',
  ...RACK.map((m) => `${m.position},${m.hostname},${m.serial},${m.system_uuid},${m.mac},"rack=r12;role=worker"`),
].join('\n');

let server: TestServer;
let token: string;
let tokenId: string;
const events: AdminEvent[] = [];
let unsubscribe: () => void;

async function json<T>(res: Response | Promise<Response>): Promise<T> {
  const r = await res;
  const text = await r.text();
  if (r.status >= 300) throw new Error(`${r.status}: ${text}`);
  return JSON.parse(text) as T;
}

/** A registration answer, or a refusal. */
interface Answer {
  host_id: string;
  status: string;
  replaces?: string;
  error: { code: string };
}

/** A registration from a chosen loopback source address (127.0.0.2 is another machine). */
function registerFrom(body: unknown, localAddress = '127.0.0.1'): Promise<{ status: number; body: Answer }> {
  const url = new URL(server.endpoint.lan_url + '/api/hosts/register');
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        localAddress,
        headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) as Answer }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const enrol = (m: ReturnType<typeof machine>, over: Record<string, unknown> = {}) =>
  registerFrom({
    token,
    hostname: 'localhost',
    machine_id: `mid-${m.serial.toLowerCase()}-0000`,
    os: 'Debian 12',
    arch: 'x86_64',
    facts: {
      vendor: 'Dell Inc.',
      model: 'PowerEdge R650',
      serial: m.serial,
      system_uuid: m.system_uuid,
      macs: [m.mac],
    },
    ...over,
  });

const host = (id: string) => json<Host>(server.admin(`/api/admin/hosts/${id}`));
const audit = async (q = '') =>
  (await json<{ entries: AuditEntry[] }>(server.admin(`/api/admin/audit?limit=1000${q}`))).entries;

beforeAll(async () => {
  server = await startTestServer();
  unsubscribe = server.gatehouse.events.subscribe((e) => events.push(e));
  const created = await json<{ token: string; id: string }>(
    server.admin('/api/admin/registration-tokens', {
      json: { description: 'rack r12', expires_in_hours: 24, max_uses: 0 },
    }),
  );
  token = created.token;
  tokenId = created.id;
});
afterAll(async () => {
  unsubscribe?.();
  await server?.dispose();
});

describe('a rack of 40 expected hosts over HTTP', () => {
  let byHostname: Map<string, string>;

  it('imports 40 expected hosts with auto-approval', async () => {
    const result = await json<ExpectedImportResult>(
      server.admin('/api/admin/expected-hosts/import', { json: { csv: CSV, auto_approve: true } }),
    );
    expect(result).toMatchObject({ imported: 40, errors: [] });
    const list = await json<{ expected_hosts: { hostname: string; claimed_by: string | null }[]; total_count: number }>(
      server.admin('/api/admin/expected-hosts'),
    );
    expect(list.total_count).toBe(40);
    expect(list.expected_hosts.every((r) => r.claimed_by === null)).toBe(true);
  });

  it('enrols and approves each of the 40 machines under its expected name and labels', async () => {
    byHostname = new Map();
    for (const m of RACK) {
      const r = await enrol(m);
      expect(r.status).toBe(201);
      expect(r.body.status).toBe('APPROVED');
      byHostname.set(m.hostname, r.body.host_id);
    }
    for (const m of [RACK[0]!, RACK[19]!, RACK[39]!]) {
      const h = await host(byHostname.get(m.hostname)!);
      expect(h).toMatchObject({ hostname: m.hostname, status: 'APPROVED', alarm: null });
      expect(h.expected).toMatchObject({ hostname: m.hostname, position: m.position });
      expect(h.labels).toEqual(expect.arrayContaining(['rack=r12', 'role=worker']));
      expect(h.decided_by).toBe(`expected:${h.expected!.row_id}`);
    }
    const rows = await json<{ expected_hosts: { hostname: string; claimed_by: string | null }[] }>(
      server.admin('/api/admin/expected-hosts'),
    );
    for (const row of rows.expected_hosts) expect(row.claimed_by).toBe(byHostname.get(row.hostname));
  });

  it('lets a 41st, unexpected machine wait in the queue', async () => {
    const stranger = machine(99);
    const r = await enrol(stranger, { hostname: 'stranger' });
    expect(r.body.status).toBe('PENDING');
    const h = await host(r.body.host_id);
    expect(h).toMatchObject({ hostname: 'stranger', expected: null, alarm: null, status: 'PENDING' });
  });

  it('flags a clone of row 7 (same serial, another machine) with alarm clone, and it waits', async () => {
    const row7 = RACK[6]!;
    const clone = await enrol(
      { ...machine(77), serial: row7.serial },
      { machine_id: 'clone-of-row-7-machine', hostname: 'evil' },
    );
    expect(clone.status).toBe(201);
    expect(clone.body.status).toBe('PENDING');
    const h = await host(clone.body.host_id);
    expect(h.alarm).toBe('clone');
    expect(h.status).toBe('PENDING');
    expect(h.expected?.hostname).toBe(row7.hostname);
    // The live host of row 7 is untouched.
    expect((await host(byHostname.get(row7.hostname)!)).status).toBe('APPROVED');
    const alarm = (await audit('&action=alarm.clone'))[0]!;
    expect(alarm.target_id).toBe(clone.body.host_id);
    expect(alarm.detail).toMatchObject({ claimed_by: byHostname.get(row7.hostname), expected_hostname: row7.hostname });
    expect(events).toContainEqual({ topic: 'hosts', action: 'alarm', id: clone.body.host_id });
    // "Approve all expected" leaves the alarmed clone alone.
    const bulk = await json<{ results: { id: string }[] }>(
      server.admin('/api/admin/hosts/bulk', {
        json: { action: 'approve', filter: { status: 'PENDING', expected_only: true } },
      }),
    );
    expect(bulk.results.map((r) => r.id)).not.toContain(clone.body.host_id);
    // The admin sees which live host it would replace, should they approve it by hand.
    expect(h.replaces).toBe(byHostname.get(row7.hostname));
  });

  it('says in used_by_nodes and the audit trail who approved what, by which row or rule', async () => {
    const t = await json<RegistrationToken>(server.admin(`/api/admin/registration-tokens/${tokenId}`));
    expect(t.used_by_nodes).toHaveLength(42);
    expect(t.used_by_nodes.map((n) => n.hostname)).toEqual(expect.arrayContaining(RACK.map((m) => m.hostname)));
    const approvals = await audit('&action=host.auto_approved');
    expect(approvals).toHaveLength(40);
    const rows = await json<{ expected_hosts: { id: string; hostname: string }[] }>(
      server.admin('/api/admin/expected-hosts'),
    );
    const rowOf = new Map(rows.expected_hosts.map((r) => [r.hostname, r.id]));
    for (const entry of approvals) {
      const name = entry.detail.hostname as string;
      expect(entry.detail.approved_by).toBe(`expected:${rowOf.get(name)}`);
      expect(entry.detail.expected_row).toBe(rowOf.get(name));
      expect(entry.detail.reported_hostname).toBe('localhost');
    }
    // A rule approves a machine the import did not name, and the audit names the rule.
    const rule = await json<{ id: string }>(
      server.admin('/api/admin/approval-rules', {
        json: { name: 'r12 spares', match: { vendor: 'dell inc.', cidr: '127.0.0.0/8', label: 'spare' }, max_count: 1 },
      }),
    );
    const spare = await enrol(machine(98), { hostname: 'spare-1', labels: ['spare'] });
    expect(spare.body.status).toBe('APPROVED');
    expect((await host(spare.body.host_id)).decided_by).toBe('rule:r12 spares');
    const ruled = (await audit(`&target_id=${spare.body.host_id}`)).find((e) => e.action === 'host.auto_approved')!;
    expect(ruled.detail).toMatchObject({ approved_by: 'rule:r12 spares', rule_id: rule.id });
    // Its cap of one is used: the next spare waits.
    const second = await enrol(machine(97), { hostname: 'spare-2', labels: ['spare'] });
    expect(second.body.status).toBe('PENDING');
  });

  it('takes a reinstall (new machine_id, same system UUID) as a re-enrolment, not a clone', async () => {
    const m = RACK[11]!;
    const old = byHostname.get(m.hostname)!;
    const r = await enrol(m, { machine_id: 'reinstalled-machine-id-12' });
    expect(r.body).toMatchObject({ status: 'PENDING', replaces: old });
    const h = await host(r.body.host_id);
    expect(h).toMatchObject({ alarm: null, hostname: m.hostname, replaces: old });
    expect(h.expected?.hostname).toBe(m.hostname);
    const approved = await json<Host>(server.admin(`/api/admin/hosts/${r.body.host_id}/approve`, { json: {} }));
    expect(approved.status).toBe('APPROVED');
    const rows = await json<{ expected_hosts: { hostname: string; claimed_by: string | null }[] }>(
      server.admin('/api/admin/expected-hosts'),
    );
    expect(rows.expected_hosts.find((row) => row.hostname === m.hostname)?.claimed_by).toBe(r.body.host_id);
  });

  it('raises the alarm when a single-use token is replayed from another address after its use', async () => {
    const single = await json<{ token: string; id: string }>(
      server.admin('/api/admin/registration-tokens', { json: { expires_in_hours: 1, max_uses: 1 } }),
    );
    const first = await registerFrom({ token: single.token, hostname: 'once', machine_id: 'single-use-first-01' });
    expect(first.status).toBe(201);
    const seen = events.length;
    const replay = await registerFrom(
      { token: single.token, hostname: 'twice', machine_id: 'single-use-replay-02' },
      '127.0.0.2',
    );
    expect(replay.status).toBe(401);
    expect(replay.body.error.code).toBe('TOKEN_EXHAUSTED');
    const entry = (await audit('&action=alarm.token_replay'))[0]!;
    expect(entry).toMatchObject({ target_type: 'token', target_id: single.id });
    expect(entry.detail).toMatchObject({ source: '127.0.0.2', used_by: [first.body.host_id] });
    const after = events.slice(seen);
    expect(after).toContainEqual({ topic: 'tokens', action: 'alarm', id: single.id });
    expect(after).toContainEqual({ topic: 'hosts', action: 'alarm', ids: [first.body.host_id] });
    expect((await host(first.body.host_id)).alarm).toBe('token_replay');
  });
});
