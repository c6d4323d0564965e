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
