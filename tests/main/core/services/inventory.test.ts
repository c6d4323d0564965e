import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { Host } from '../../../../src/shared/domain';
import {
  ansibleInventory,
  CSV_COLUMNS,
  csvCell,
  inventoryCsv,
  inventoryRecords,
} from '../../../../src/main/core/services/inventory';

/** A directory removed when the current test ends. */
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-inventory-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function host(overrides: Partial<Host> = {}): Host {
  return {
    id: randomUUID(),
    hostname: 'node-1',
    machine_id: 'machine-0001-abcd',
    status: 'APPROVED',
    connectivity: 'ONLINE',
    remote_addr: '192.0.2.50',
    ips: [],
    os: 'Debian 12',
    arch: 'x86_64',
    labels: [],
    token_id: null,
    token_prefix: 'GATE',
    verification_code: '123456',
    replaces: null,
    replaces_hostname: null,
    replaced_by: null,
    conflict: false,
    expected: null,
    alarm: null,
    facts: null,
    registered_at: '2026-01-01T00:00:00.000Z',
    decided_at: '2026-01-01T00:01:00.000Z',
    decided_by: 'admin',
    reject_reason: null,
    last_seen_at: '2026-01-01T00:02:00.000Z',
    ...overrides,
  };
}

/** The inventory as an executable script answering `--list`, as Ansible runs dynamic inventories. */
function inventoryScript(dir: string, inventory: unknown): string {
  const path = join(dir, 'gatehouse-inventory.sh');
  writeFileSync(path, `#!/bin/sh\ncat <<'EOF'\n${JSON.stringify(inventory, null, 2)}\nEOF\n`, { mode: 0o755 });
  return path;
}

function ansibleEnv(dir: string): NodeJS.ProcessEnv {
  const home = join(dir, 'home');
  mkdirSync(home, { recursive: true });
  return {
    PATH: process.env.PATH,
    HOME: home,
    ANSIBLE_LOCAL_TEMP: join(home, 'tmp'),
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_INVENTORY_UNPARSED_FAILED: 'true',
  };
}

/** Debian's ansible-inventory reading the script, as an admin's `ansible -i` would. */
function ansibleList(dir: string, inventory: unknown): Record<string, unknown> {
  const script = inventoryScript(dir, inventory);
  const result = spawnSync('ansible-inventory', ['-i', script, '--list'], { encoding: 'utf8', env: ansibleEnv(dir) });
  if (result.status !== 0) throw new Error(`ansible-inventory failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

/** A small RFC 4180 reader: quoted fields, doubled quotes, CRLF records. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += ch;
  }
  if (field !== '' || row.length > 0) throw new Error('the last record has no CRLF');
  return rows;
}

describe('Ansible inventory', () => {
  it('reports through ansible-inventory the groups and host variables the labels give', () => {
    const dir = tempDir();
    const gpu = host({
      hostname: 'gpu-01',
      ips: ['10.0.0.11', 'fd00::11'],
      labels: ['gpu', 'rack=b12', 'role=worker', '9lives', 'team-ml'],
      facts: { serial: 'SN123', vendor: 'Dell Inc.' },
    });
    const db = host({ hostname: 'db-01', ips: [], remote_addr: '192.0.2.7', labels: ['rack=b12'] });
    const bare = host({ hostname: 'bare-01', labels: [] });
    const pending = host({ hostname: 'pending-01', status: 'PENDING', labels: ['gpu'] });
    const rejected = host({ hostname: 'rejected-01', status: 'REJECTED', labels: ['gpu'] });

    const listed = ansibleList(dir, ansibleInventory([gpu, db, bare, pending, rejected]));
    const hostsOf = (group: string) => ((listed[group] as { hosts?: string[] } | undefined)?.hosts ?? []).sort();
    const vars = (listed._meta as { hostvars: Record<string, Record<string, unknown>> }).hostvars;

    expect(hostsOf('gpu')).toEqual(['gpu-01']);
    expect(hostsOf('rack_b12')).toEqual(['db-01', 'gpu-01']);
    expect(hostsOf('role_worker')).toEqual(['gpu-01']);
    expect(hostsOf('_9lives')).toEqual(['gpu-01']);
    expect(hostsOf('team_ml')).toEqual(['gpu-01']);
    expect(hostsOf('ungrouped')).toEqual(['bare-01']);
    expect(Object.keys(vars).sort()).toEqual(['bare-01', 'db-01', 'gpu-01']);
    expect(vars['gpu-01']).toMatchObject({
      ansible_host: '10.0.0.11',
      gatehouse_id: gpu.id,
      gatehouse_machine_id: gpu.machine_id,
      rack: 'b12',
      role: 'worker',
      gatehouse_facts: { serial: 'SN123', vendor: 'Dell Inc.' },
    });
    expect(vars['db-01']).toMatchObject({ ansible_host: '192.0.2.7', rack: 'b12' });
    expect(vars['bare-01']?.ansible_host).toBe('192.0.2.50');
  });

  it('keeps two hosts with one hostname apart', () => {
    const a = host({ hostname: 'dup', labels: ['x'] });
    const b = host({ hostname: 'dup', labels: ['x'] });
    const inventory = ansibleInventory([a, b]);
    const names = Object.keys(inventory._meta.hostvars);
    expect(names).toHaveLength(2);
    expect(new Set(names.map((n) => inventory._meta.hostvars[n]?.gatehouse_id))).toEqual(new Set([a.id, b.id]));
  });

  it('lets no label set an ansible_ variable, a magic variable or a reserved group', () => {
    const dir = tempDir();
    const hostile = host({
      hostname: 'victim',
      ips: ['10.0.0.5'],
      labels: [
        'ansible_host=203.0.113.66',
        'ansible_ssh_common_args=-oProxyCommand=touch/tmp/x',
        'ansible_connection=local',
        'gatehouse_id=forged',
        'hostvars=x',
        'all',
        '_meta',
      ],
    });
    const listed = ansibleList(dir, ansibleInventory([hostile]));
    const vars = (listed._meta as { hostvars: Record<string, Record<string, unknown>> }).hostvars.victim as Record<
      string,
      unknown
    >;
    expect(vars.ansible_host).toBe('10.0.0.5');
    expect(vars.gatehouse_id).toBe(hostile.id);
    expect(vars).not.toHaveProperty('ansible_ssh_common_args');
    expect(vars).not.toHaveProperty('ansible_connection');
    expect(vars).not.toHaveProperty('hostvars');
    expect(vars.gatehouse_labels).toEqual(hostile.labels);
    expect((listed.label_all as { hosts: string[] }).hosts).toEqual(['victim']);
    expect((listed.label__meta as { hosts: string[] }).hosts).toEqual(['victim']);
  });

  it('hands text that Ansible would template over as unsafe, so it is never evaluated', () => {
    const dir = tempDir();
    const marker = join(dir, 'pwned');
    const evil = `{{ lookup('pipe', 'touch ${marker}') }}`;
    const hostile = host({ hostname: 'evil-01', machine_id: evil, facts: { model: evil } });
    const weird = host({ hostname: `{{ lookup('pipe', 'touch ${marker}') }}`, facts: { model: 'R640' } });
    const script = inventoryScript(dir, ansibleInventory([hostile, weird]));
    const result = spawnSync(
      'ansible',
      ['all', '-i', script, '-m', 'debug', '-a', 'msg="{{ gatehouse_machine_id }} {{ gatehouse_facts.model }}"'],
      { encoding: 'utf8', env: ansibleEnv(dir) },
    );
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain(`evil-01 | SUCCESS => {\n    "msg": "${evil} ${evil}"`);
    expect(result.stdout).toContain(`${weird.id} | SUCCESS => {\n    "msg": "${weird.machine_id} R640"`);
    expect(existsSync(marker)).toBe(false);
  });
});

describe('JSON and CSV inventories', () => {
  it('lists only approved hosts, with their address', () => {
    const records = inventoryRecords([
      host({ hostname: 'b', ips: ['10.0.0.2'] }),
      host({ hostname: 'a' }),
      host({ hostname: 'c', status: 'DISABLED' }),
    ]);
    expect(records.map((r) => [r.hostname, r.address])).toEqual([
      ['a', '192.0.2.50'],
      ['b', '10.0.0.2'],
    ]);
  });

  it('round-trips through an RFC 4180 reader', () => {
    const hosts = [
      host({
        hostname: 'web-01',
        ips: ['10.0.0.1', 'fd00::1'],
        labels: ['role=web', 'rack=a1'],
        os: 'Debian "bookworm", 12',
      }),
      host({
        hostname: 'db-01',
        os: 'line one\r\nline two',
        arch: null,
        last_seen_at: null,
        facts: { serial: 'S/N 9' },
      }),
    ];
    const csv = inventoryCsv(hosts);
    const rows = parseCsv(csv);
    expect(rows[0]).toEqual([...CSV_COLUMNS]);
    expect(rows).toHaveLength(3);
    const byName = new Map(rows.slice(1).map((r) => [r[0], Object.fromEntries(CSV_COLUMNS.map((c, i) => [c, r[i]]))]));
    expect(byName.get('web-01')).toMatchObject({
      os: 'Debian "bookworm", 12',
      ips: '10.0.0.1 fd00::1',
      labels: 'role=web rack=a1',
      address: '10.0.0.1',
    });
    expect(byName.get('db-01')).toMatchObject({
      os: 'line one\r\nline two',
      arch: '',
      last_seen_at: '',
      serial: 'S/N 9',
      address: '192.0.2.50',
    });
  });

  it('keeps a hostile cell from becoming a formula or a new column', () => {
    const hostile = host({
      hostname: '=HYPERLINK("http://evil.example","x")',
      os: '+1+cmd|/c calc',
      arch: '@SUM(A1)',
      machine_id: '-2+3,extra',
      labels: ['a', 'b'],
    });
    const rows = parseCsv(inventoryCsv([hostile]));
    expect(rows[1]).toHaveLength(CSV_COLUMNS.length);
    const row = Object.fromEntries(CSV_COLUMNS.map((c, i) => [c, rows[1]?.[i]]));
    expect(row.hostname).toBe(`'=HYPERLINK("http://evil.example","x")`);
    expect(row.os).toBe(`'+1+cmd|/c calc`);
    expect(row.arch).toBe(`'@SUM(A1)`);
    expect(row.machine_id).toBe(`'-2+3,extra`);
    for (const cell of rows.flat()) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
    expect(csvCell('\t=1')).toBe(`'\t=1`);
    expect(csvCell('plain')).toBe('plain');
  });
});
