import type { TestServer } from '../helpers/gatehouse';

/** Hardware facts like join.sh reports them, varied by index. */
export function factsFor(i: number) {
  const hex = (n: number) => n.toString(16).padStart(2, '0');
  return {
    vendor: i % 3 === 0 ? 'Dell Inc.' : 'Supermicro',
    model: i % 3 === 0 ? 'PowerEdge R650' : 'SYS-1029U',
    serial: `SN${String(100000 + i)}`,
    system_uuid: `4c4c4544-0000-1000-8000-${String(i).padStart(12, '0')}`,
    macs: [`52:54:00:${hex((i >> 8) & 255)}:${hex(i & 255)}:01`],
    cpu_model: 'Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz',
    cpus: 64,
    memory_mb: 262_144,
    disks: [{ name: 'nvme0n1', size_gb: 1920 }],
    os_release: 'Debian GNU/Linux 12 (bookworm)',
    kernel: '6.1.0-18-amd64',
    firmware: 'uefi' as const,
  };
}

/** Every registration gets hardware of its own: shared serials would raise clone alarms. */
let machines = 0;

export interface Enrolled {
  facts: ReturnType<typeof factsFor>;
  id: string;
  hostname: string;
  hostToken: string;
  code: string;
}

/** Registers `count` hosts with one token, through the core (as the LAN endpoint would). */
export async function registerMany(
  server: TestServer,
  token: string,
  prefix: string,
  count: number,
  options: { labels?: string[]; offset?: number } = {},
): Promise<Enrolled[]> {
  const out: Enrolled[] = [];
  const g = server.gatehouse;
  for (let i = 0; i < count; i++) {
    const n = (options.offset ?? 0) + i;
    const hostname = `${prefix}-${String(n).padStart(4, '0')}`;
    const last = n % 250;
    const facts = factsFor(machines++);
    const r = await g.enrolment.register(
      {
        token,
        hostname,
        machine_id: `machine-${hostname}`,
        os: 'Debian GNU/Linux 12',
        arch: 'x86_64',
        ips: [`10.${20 + Math.floor(n / 62500)}.${Math.floor(n / 250) % 250}.${last + 1}`],
        labels: options.labels,
        facts,
      },
      `10.20.${Math.floor(n / 250) % 250}.${last + 1}`,
    );
    out.push({ facts, id: r.host_id, hostname, hostToken: r.host_token, code: r.verification_code });
  }
  return out;
}

/** A token made through the admin API, as the UI would. */
export async function apiToken(server: TestServer, json: Record<string, unknown>) {
  const res = await server.admin('/api/admin/registration-tokens', { json });
  if (res.status !== 201) throw new Error(`token create: ${res.status} ${await res.text()}`);
  return (await res.json()) as { id: string; token: string; prefix: string; join_command: string; join_url: string };
}

export async function bulk(server: TestServer, json: Record<string, unknown>) {
  const res = await server.admin('/api/admin/hosts/bulk', { json });
  if (res.status !== 200) throw new Error(`bulk: ${res.status} ${await res.text()}`);
  return (await res.json()) as { batch_id: string; results: { id: string; ok: boolean }[] };
}

/** Heartbeats from these hosts, recorded and flushed (which publishes the heartbeat event). */
export async function beat(server: TestServer, hosts: Enrolled[]): Promise<void> {
  const g = server.gatehouse;
  for (const h of hosts) await g.enrolment.heartbeat(await g.enrolment.authenticate(h.hostToken));
  await g.heartbeats.flush();
}

/**
 * A realistic lab: `approved` hosts approved (most beating), a queue with a rack from
 * one token and a few GPU nodes from another, one re-enrolment, one disabled and one
 * rejected host.
 */
export async function seedLab(server: TestServer, options: { approved: number; pending?: number }) {
  const rack = await apiToken(server, {
    expires_in_hours: 24,
    max_uses: 0,
    description: 'Rack B12 reinstall',
    labels: ['rack=b12'],
  });
  const gpu = await apiToken(server, {
    expires_in_hours: 4,
    max_uses: 25,
    description: 'GPU nodes',
    labels: ['role=gpu'],
  });
  await apiToken(server, {
    expires_in_hours: 168,
    max_uses: 0,
    description: 'Lab spares',
    auto_approve: true,
    allowed_cidrs: ['10.20.0.0/16'],
  });
  const fleet = await registerMany(server, rack.token, 'b12-node', options.approved, { labels: ['rack=b12'] });
  await bulk(server, { action: 'approve', filter: { status: 'PENDING', token_id: rack.id } });
  await beat(
    server,
    fleet.filter((_, i) => i % 7 !== 3),
  );
  await bulk(server, { action: 'disable', ids: [fleet[3]!.id] });
  const pending = options.pending ?? 6;
  const queue = await registerMany(server, rack.token, 'b12-new', Math.max(0, pending - 2), {
    offset: options.approved,
    labels: ['rack=b12'],
  });
  const gpus = await registerMany(server, gpu.token, 'gpu', 2, { offset: 90_000, labels: ['role=gpu'] });
  // The same machine again: a re-enrolment waiting for a decision.
  await server.gatehouse.enrolment.register(
    {
      token: gpu.token,
      hostname: fleet[1]!.hostname,
      machine_id: `machine-${fleet[1]!.hostname}`,
      os: 'Debian GNU/Linux 12',
      arch: 'x86_64',
      facts: fleet[1]!.facts,
    },
    '10.20.0.2',
  );
  const spare = await registerMany(server, gpu.token, 'spare', 1, { offset: 95_000 });
  await bulk(server, { action: 'reject', ids: [spare[0]!.id], reason: 'not in the inventory' });
  return { rack, gpu, fleet, queue, gpus };
}

/** A rack machine's firmware identity: serial, system UUID and MAC, fixed by rack and slot. */
export function rackMachine(rack: string, n: number) {
  const hex = (v: number) => v.toString(16).padStart(2, '0');
  const code = [...rack].reduce((a, c) => a + c.charCodeAt(0), 0) % 256;
  return {
    hostname: `${rack}-node-${String(n).padStart(2, '0')}`,
    serial: `CZ${rack.toUpperCase()}${String(n).padStart(5, '0')}`,
    system_uuid: `4c4c4544-00${hex(code)}-4000-8000-${String(n).padStart(12, '0')}`,
    mac: `b4:96:91:${hex(code)}:00:${hex(n)}`,
    position: `${rack.toUpperCase()}-U${n}`,
  };
}

async function adminJson<T>(server: TestServer, path: string, json: unknown): Promise<T> {
  const res = await server.admin(path, { json });
  if (res.status >= 300) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/**
 * Rack-scale enrolment on top of a lab: an import of rack C7 (four of its machines waiting
 * in the queue as expected), an auto-approved import of rack D1 whose first machine
 * enrolled by itself and was then cloned (an alarm), and three approval rules.
 */
export async function seedRack(server: TestServer) {
  const token = await apiToken(server, { expires_in_hours: 72, max_uses: 0, description: 'Racks C7 and D1' });
  const c7 = Array.from({ length: 12 }, (_, i) => rackMachine('c7', i + 1));
  const csv = (rows: ReturnType<typeof rackMachine>[], labels: string) =>
    [
      'position,hostname,serial,system_uuid,mac,labels',
      ...rows.map((m) => `${m.position},${m.hostname},${m.serial},${m.system_uuid},${m.mac},${labels}`),
    ].join('\n');
  await adminJson(server, '/api/admin/expected-hosts/import', { csv: csv(c7, 'rack=c7;role=worker') });
  const d1 = Array.from({ length: 4 }, (_, i) => rackMachine('d1', i + 1));
  await adminJson(server, '/api/admin/expected-hosts/import', { csv: csv(d1, 'rack=d1'), auto_approve: true });
  const register = (m: ReturnType<typeof rackMachine>, over: Record<string, unknown> = {}, source = '10.30.7.10') =>
    server.gatehouse.enrolment.register(
      {
        token: token.token,
        hostname: 'localhost',
        machine_id: `mid-${m.serial.toLowerCase()}`,
        os: 'Debian GNU/Linux 12',
        arch: 'x86_64',
        facts: {
          vendor: 'Dell Inc.',
          model: 'PowerEdge R650',
          serial: m.serial,
          system_uuid: m.system_uuid,
          macs: [m.mac],
        },
        ...over,
      },
      source,
    );
  for (const m of c7.slice(0, 4)) await register(m);
  await register(d1[0]!);
  const clone = await register(
    { ...rackMachine('zz', 99), serial: d1[0]!.serial },
    { machine_id: 'clone-of-d1-node-01', hostname: 'd1-node-01' },
    '10.30.9.66',
  );
  const rules = [
    {
      name: 'Dell workers in C7',
      match: { vendor: 'Dell Inc.', cidr: '10.30.7.0/24', label: 'rack=c7' },
      max_count: 40,
    },
    { name: 'CI runners', match: { label: 'role=ci', token_id: token.id }, max_count: 0 },
    { name: 'Spare pool (paused)', match: { label: 'pool=spare' }, max_count: 5, enabled: false },
  ];
  for (const rule of rules) await adminJson(server, '/api/admin/approval-rules', rule);
  return { token, c7, d1, cloneId: clone.host_id };
}
