import type { Host } from '../../../shared/domain';

/*
 * Inventories of approved hosts for the tools admins already run: an Ansible dynamic
 * inventory, a JSON list and CSV. Pure functions of the hosts handed in. Labels and
 * facts are partly host-reported, so nothing from them may steer the consumer: no label
 * sets an `ansible_*` variable, no text reaches Ansible's templating, no CSV cell is a formula.
 */

/** One host as the JSON and CSV inventories list it. */
export interface InventoryRecord {
  id: string;
  hostname: string;
  /** Where to reach it: the first address the host reported, else the address it registered from. */
  address: string;
  machine_id: string;
  ips: string[];
  labels: string[];
  os: string | null;
  arch: string | null;
  serial: string | null;
  connectivity: Host['connectivity'];
  registered_at: string;
  last_seen_at: string | null;
}

export interface AnsibleInventory {
  _meta: { hostvars: Record<string, Record<string, unknown>> };
  all: { children: string[] };
  [group: string]: unknown;
}

const RESERVED_GROUPS = new Set(['all', 'ungrouped', '_meta']);

/** Variables a label must never set: Ansible's own and magic variables, and ours. */
const RESERVED_VARIABLE = /^(ansible_|gatehouse_)/;
const MAGIC_VARIABLES = new Set([
  'environment',
  'group_names',
  'groups',
  'hostvars',
  'inventory_dir',
  'inventory_file',
  'inventory_hostname',
  'inventory_hostname_short',
  'item',
  'lookup',
  'omit',
  'play_hosts',
  'playbook_dir',
  'q',
  'query',
  'role_name',
  'role_names',
  'role_path',
  'vars',
]);
const PYTHON_KEYWORDS = new Set(
  (
    'False None True and as assert async await break class continue def del elif else except finally for ' +
    'from global if import in is lambda nonlocal not or pass raise return try while with yield'
  ).split(' '),
);

/** `rack-b12`, `9gpu` → `rack_b12`, `_9gpu`: Ansible group and variable names are `[A-Za-z_][A-Za-z0-9_]*`. */
export function ansibleName(text: string): string {
  const cleaned = text.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[0-9]/.test(cleaned) ? `_${cleaned}` : cleaned;
}

function groupName(text: string): string | null {
  const name = ansibleName(text);
  if (name === '') return null;
  return RESERVED_GROUPS.has(name) ? `label_${name}` : name;
}

function variableName(key: string): string | null {
  const name = ansibleName(key);
  if (name === '' || RESERVED_VARIABLE.test(name) || MAGIC_VARIABLES.has(name) || PYTHON_KEYWORDS.has(name)) {
    return null;
  }
  return name;
}

/**
 * A string Ansible would template (`{{ lookup('pipe', …) }}`) is handed over marked unsafe,
 * the form Ansible's JSON loader reads as "never template this"; other values pass as they are.
 */
function ansibleValue(value: unknown): unknown {
  if (typeof value === 'string') return /\{\{|\{%|\{#/.test(value) ? { __ansible_unsafe: value } : value;
  if (Array.isArray(value)) return value.map(ansibleValue);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, ansibleValue(v)]));
  }
  return value;
}

function splitLabel(label: string): { key: string; value: string | null } {
  const at = label.indexOf('=');
  return at < 0 ? { key: label, value: null } : { key: label.slice(0, at), value: label.slice(at + 1) };
}

function approvedInOrder(hosts: readonly Host[]): Host[] {
  return hosts
    .filter((host) => host.status === 'APPROVED')
    .sort((a, b) => (a.hostname === b.hostname ? cmp(a.id, b.id) : cmp(a.hostname, b.hostname)));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The first address the host reported, else the one it registered from. */
export function hostAddress(host: Host): string {
  return host.ips[0] ?? host.remote_addr;
}

function factText(host: Host, key: string): string | null {
  const value = (host.facts as Record<string, unknown> | null | undefined)?.[key];
  return typeof value === 'string' && value !== '' ? value : null;
}

/**
 * Unique inventory names: the hostname where it is a plain DNS name and not taken, else
 * the hostname with the id's first group (or the id itself when the hostname is not plain).
 */
function inventoryNames(hosts: Host[]): Map<Host, string> {
  const names = new Map<Host, string>();
  const taken = new Set<string>();
  for (const host of hosts) {
    const plain = /^[A-Za-z0-9][A-Za-z0-9.-]*$/.test(host.hostname);
    let name = plain ? host.hostname : host.id;
    if (taken.has(name)) name = plain ? `${host.hostname}-${host.id.slice(0, 8)}` : host.id;
    if (taken.has(name)) name = host.id;
    taken.add(name);
    names.set(host, name);
  }
  return names;
}

/**
 * The Ansible dynamic inventory (`--list` answer) of the approved hosts: plain labels are
 * groups, `key=value` labels are host variables and also groups `key_value`; every host
 * carries `ansible_host`, `gatehouse_id`, `gatehouse_machine_id`, `gatehouse_labels` (the
 * labels verbatim) and, when reported, `gatehouse_facts`. Hosts with no group are `ungrouped`.
 */
export function ansibleInventory(hosts: readonly Host[]): AnsibleInventory {
  const approved = approvedInOrder(hosts);
  const names = inventoryNames(approved);
  const hostvars: Record<string, Record<string, unknown>> = {};
  const groups = new Map<string, string[]>();
  const ungrouped: string[] = [];

  for (const host of approved) {
    const name = names.get(host) as string;
    const vars: Record<string, unknown> = {
      ansible_host: ansibleValue(hostAddress(host)),
      gatehouse_id: host.id,
      gatehouse_machine_id: ansibleValue(host.machine_id),
      gatehouse_labels: ansibleValue(host.labels),
    };
    if (host.facts) vars.gatehouse_facts = ansibleValue(host.facts);
    const memberOf = new Set<string>();
    for (const label of host.labels) {
      const { key, value } = splitLabel(label);
      const group = groupName(value === null ? key : `${key}_${value}`);
      if (group) memberOf.add(group);
      if (value === null) continue;
      const variable = variableName(key);
      if (variable && !(variable in vars)) vars[variable] = ansibleValue(value);
    }
    hostvars[name] = vars;
    for (const group of memberOf) groups.set(group, [...(groups.get(group) ?? []), name]);
    if (memberOf.size === 0) ungrouped.push(name);
  }

  const groupNames = [...groups.keys()].sort(cmp);
  const inventory: AnsibleInventory = {
    _meta: { hostvars },
    all: { children: [...groupNames, 'ungrouped'] },
  };
  for (const group of groupNames) inventory[group] = { hosts: groups.get(group) };
  inventory.ungrouped = { hosts: ungrouped };
  return inventory;
}

/** The approved hosts as plain records, for scripts that read JSON. */
export function inventoryRecords(hosts: readonly Host[]): InventoryRecord[] {
  return approvedInOrder(hosts).map((host) => ({
    id: host.id,
    hostname: host.hostname,
    address: hostAddress(host),
    machine_id: host.machine_id,
    ips: [...host.ips],
    labels: [...host.labels],
    os: host.os,
    arch: host.arch,
    serial: factText(host, 'serial'),
    connectivity: host.connectivity,
    registered_at: host.registered_at,
    last_seen_at: host.last_seen_at,
  }));
}

export const CSV_COLUMNS = [
  'hostname',
  'address',
  'id',
  'machine_id',
  'ips',
  'labels',
  'os',
  'arch',
  'serial',
  'connectivity',
  'registered_at',
  'last_seen_at',
] as const satisfies readonly (keyof InventoryRecord)[];

/**
 * One CSV field: quoted when it holds a quote, comma or line break (RFC 4180), and with a
 * leading `'` when a spreadsheet would read it as a formula (`=`, `+`, `-`, `@`, tab, CR).
 */
export function csvCell(value: string): string {
  const guarded = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(guarded) ? `"${guarded.replaceAll('"', '""')}"` : guarded;
}

/** The approved hosts as CSV: a header row, CRLF line ends; lists (ips, labels) joined by spaces. */
export function inventoryCsv(hosts: readonly Host[]): string {
  const rows = inventoryRecords(hosts).map((record) =>
    CSV_COLUMNS.map((column) => {
      const value = record[column];
      return csvCell(Array.isArray(value) ? value.join(' ') : (value ?? ''));
    }).join(','),
  );
  return [CSV_COLUMNS.join(','), ...rows].map((line) => `${line}\r\n`).join('');
}
