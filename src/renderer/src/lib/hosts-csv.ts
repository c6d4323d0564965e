import type { Host } from '../../../shared/domain';
import { csvField } from './audit-csv';

const COLUMNS: [string, (h: Host) => string][] = [
  ['hostname', (h) => h.hostname],
  ['status', (h) => h.status],
  ['connectivity', (h) => h.connectivity],
  ['last_seen_at', (h) => h.last_seen_at ?? ''],
  ['remote_addr', (h) => h.remote_addr],
  ['ips', (h) => h.ips.join(' ')],
  ['labels', (h) => h.labels.join(' ')],
  ['token_prefix', (h) => h.token_prefix ?? ''],
  ['machine_id', (h) => h.machine_id],
  ['serial', (h) => String((h.facts as { serial?: string } | null)?.serial ?? '')],
  ['registered_at', (h) => h.registered_at],
  ['id', (h) => h.id],
];

/** The hosts of the current filter as RFC 4180 CSV, spreadsheet formulas neutralised. */
export function hostsToCsv(hosts: Host[]): string {
  const lines = hosts.map((h) => COLUMNS.map(([, get]) => csvField(get(h))).join(','));
  return [COLUMNS.map(([name]) => name).join(','), ...lines].join('\r\n') + '\r\n';
}
