import type { AuditEntry } from '../../../shared/domain';

/** RFC 4180 field: quoted when it holds a comma, quote or line break; a leading =+-@ is neutralised for spreadsheets. */
export function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function auditToCsv(entries: AuditEntry[]): string {
  const header = ['id', 'at', 'actor', 'action', 'target_type', 'target_id', 'detail'];
  const lines = entries.map((e) =>
    [String(e.id), e.at, e.actor, e.action, e.target_type, e.target_id ?? '', JSON.stringify(e.detail)]
      .map(csvField)
      .join(','),
  );
  return [header.join(','), ...lines].join('\r\n') + '\r\n';
}
