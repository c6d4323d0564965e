import type { Host } from '../../../shared/domain';
import type { HostService } from './host-service';
import { ansibleInventory, inventoryCsv, inventoryRecords } from './inventory';

/** Approved hosts, page by page: the export never holds the store's whole host table in one query. */
async function approvedHosts(hosts: HostService): Promise<Host[]> {
  const all: Host[] = [];
  let cursor: string | undefined;
  do {
    const page = await hosts.list({ status: 'APPROVED', sort: 'hostname', limit: 500, cursor });
    all.push(...page.hosts);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return all;
}

/** Approved hosts for configuration management: an Ansible dynamic inventory, a JSON list, or CSV. */
export function createInventoryService(deps: { hosts: HostService }) {
  return {
    async export(format: 'ansible' | 'json' | 'csv'): Promise<{ content_type: string; data: string }> {
      const hosts = await approvedHosts(deps.hosts);
      if (format === 'csv') return { content_type: 'text/csv; charset=utf-8', data: inventoryCsv(hosts) };
      const body = format === 'json' ? { hosts: inventoryRecords(hosts) } : ansibleInventory(hosts);
      return { content_type: 'application/json; charset=utf-8', data: JSON.stringify(body, null, 2) };
    },
  };
}

export type InventoryService = ReturnType<typeof createInventoryService>;
