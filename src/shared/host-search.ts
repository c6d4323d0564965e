/** What a host is searched by: the same fields on the server (stored search text) and in the renderer. */
export interface HostSearchInput {
  hostname: string;
  remote_addr: string;
  ips: readonly string[];
  labels: readonly string[];
  machine_id: string;
  facts: { serial?: string; system_uuid?: string; macs?: readonly string[]; vendor?: string; model?: string } | null;
}

/**
 * The lower-cased text a search word must occur in: hostname, addresses, labels, machine
 * id, serial, system UUID, MACs, vendor and model. The server stores it per host and the
 * renderer recomputes it to place a changed row without asking again, so both must agree:
 * this is the one definition.
 */
export function hostSearchText(host: HostSearchInput): string {
  const facts = host.facts ?? {};
  return [
    host.hostname,
    host.remote_addr,
    ...host.ips,
    ...host.labels,
    host.machine_id,
    facts.serial,
    facts.system_uuid,
    ...(facts.macs ?? []),
    facts.vendor,
    facts.model,
  ]
    .filter(Boolean)
    .join(' ')
    .toLowerCase();
}
