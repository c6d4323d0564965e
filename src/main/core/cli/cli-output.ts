/** A column of a human table: its heading and how to show a row's value. */
export interface Column<Row> {
  heading: string;
  value: (row: Row) => unknown;
}

function cell(value: unknown): string {
  if (value === null || value === undefined || value === '') return '-';
  if (Array.isArray(value)) return value.length ? value.join(',') : '-';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'object') return JSON.stringify(value);
  // Control characters from the wire (a hostname is the host's to choose) never reach the terminal.
  return String(value).replace(/\p{Cc}/gu, '?');
}

/** Rows as an aligned plain-text table with a heading line; "(none)" when there are no rows. */
export function table<Row>(rows: readonly Row[], columns: readonly Column<Row>[]): string {
  if (rows.length === 0) return '(none)\n';
  const cells = rows.map((row) => columns.map((c) => cell(c.value(row))));
  const widths = columns.map((c, i) => Math.max(c.heading.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.heading.toUpperCase())), ...cells.map(line)].join('\n') + '\n';
}

/** One object as `key: value` lines, in the object's own order. */
export function details(record: Record<string, unknown>): string {
  const keys = Object.keys(record);
  const width = Math.max(0, ...keys.map((k) => k.length));
  return keys.map((k) => `${(k + ':').padEnd(width + 1)} ${cell(record[k])}`).join('\n') + '\n';
}

/** `-o json`: stable, indented, newline-terminated. */
export function json(value: unknown): string {
  return JSON.stringify(value ?? null, null, 2) + '\n';
}
