import { label as labelSchema } from '../../../shared/api/schemas';

/** The columns an expected-hosts CSV may carry, in any order; `hostname` is required. */
export const EXPECTED_COLUMNS = ['hostname', 'serial', 'system_uuid', 'mac', 'labels', 'position'] as const;
type Column = (typeof EXPECTED_COLUMNS)[number];

/** One import holds at most this many rows. */
export const MAX_EXPECTED_ROWS = 10_000;

export interface ExpectedRow {
  /** The file line the row starts on (the header is line 1). */
  line: number;
  hostname: string;
  serial: string | null;
  system_uuid: string | null;
  mac: string | null;
  labels: string[];
  position: string | null;
}

export interface CsvError {
  line: number;
  reason: string;
}

/** Identifiers already held by unclaimed rows: a second row with one of them would make matches ambiguous. */
export interface ExistingIdentifiers {
  serials: ReadonlySet<string>;
  systemUuids: ReadonlySet<string>;
  macs: ReadonlySet<string>;
}

const HOSTNAME = /^[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*$/;
const MAC = /^[0-9A-Fa-f]{2}([:-][0-9A-Fa-f]{2}){5}$/;
const UUID = /^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$/;
// Printable, no control characters: what DMI reports as a serial number.
const SERIAL = /^[\x21-\x7e](?:[\x20-\x7e]{0,126}[\x21-\x7e])?$/;

/** A MAC as stored and compared: lower case, colons. */
export const normaliseMac = (mac: string) => mac.toLowerCase().replaceAll('-', ':');
/** A system UUID as stored and compared: lower case. */
export const normaliseUuid = (uuid: string) => uuid.toLowerCase();

/**
 * Splits CSV text into records (RFC 4180: quoted fields may hold commas, doubled quotes
 * and line breaks), each with the line it starts on. A UTF-8 byte order mark is dropped.
 */
export function splitCsv(text: string): { line: number; fields: string[] }[] | CsvError {
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const records: { line: number; fields: string[] }[] = [];
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let start = 1;
  let quoted = false;
  let wasQuoted = false;
  const endRecord = () => {
    fields.push(field);
    // A blank line is no record.
    if (!(fields.length === 1 && fields[0] === '' && !wasQuoted)) records.push({ line: start, fields });
    fields = [];
    field = '';
    wasQuoted = false;
  };
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (quoted) {
      if (c === '"' && src[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
        const next = src[i + 1];
        if (next !== undefined && next !== ',' && next !== '\n' && next !== '\r') {
          return { line, reason: 'a quoted field must end at a comma or the end of the line' };
        }
      } else {
        if (c === '\n') line++;
        field += c;
      }
    } else if (c === '"' && field === '') {
      quoted = true;
      wasQuoted = true;
    } else if (c === ',') {
      fields.push(field);
      field = '';
    } else if (c === '\r' || c === '\n') {
      if (c === '\r' && src[i + 1] === '\n') i++;
      endRecord();
      line++;
      start = line;
    } else {
      field += c;
    }
  }
  if (quoted) return { line: start, reason: 'a quoted field is not closed: a closing " is missing' };
  if (field !== '' || fields.length > 0 || wasQuoted) endRecord();
  return records;
}

function parseLabels(text: string): string[] | string {
  const labels = text.split(/[;,\s]+/).filter(Boolean);
  if (labels.length > 32) return `labels: at most 32, this row has ${labels.length}`;
  for (const l of labels) {
    if (!labelSchema.safeParse(l).success)
      return `labels: '${l}' is not a label (key or key=value, letters and digits)`;
  }
  return [...new Set(labels)];
}

/**
 * Parses an expected-hosts CSV. Good rows are returned; every bad row becomes one error
 * naming its line and what to fix, so a person can correct the sheet and import again.
 * A bad header refuses the whole file (every row would be misread).
 */
export function parseExpectedCsv(
  text: string,
  existing: ExistingIdentifiers,
): { rows: ExpectedRow[]; errors: CsvError[] } {
  const records = splitCsv(text);
  if (!Array.isArray(records)) return { rows: [], errors: [records] };
  const [header, ...body] = records;
  if (!header) return { rows: [], errors: [{ line: 1, reason: 'the file is empty: expected a header row' }] };
  const columns = header.fields.map((f) => f.trim().toLowerCase());
  const headerErrors: string[] = [];
  for (const c of columns) {
    if (!(EXPECTED_COLUMNS as readonly string[]).includes(c)) {
      headerErrors.push(`unknown column '${c}' (columns are ${EXPECTED_COLUMNS.join(', ')})`);
    }
  }
  const repeated = columns.filter((c, i) => columns.indexOf(c) !== i);
  if (repeated.length) headerErrors.push(`column '${repeated[0]}' appears twice`);
  if (!columns.includes('hostname')) headerErrors.push('the header has no hostname column');
  if (!columns.some((c) => c === 'serial' || c === 'system_uuid' || c === 'mac')) {
    headerErrors.push('the header needs a serial, system_uuid or mac column to recognise machines');
  }
  if (headerErrors.length) return { rows: [], errors: [{ line: header.line, reason: headerErrors.join('; ') }] };
  if (body.length > MAX_EXPECTED_ROWS) {
    return { rows: [], errors: [{ line: 1, reason: `at most ${MAX_EXPECTED_ROWS} rows per import; split the file` }] };
  }

  const rows: ExpectedRow[] = [];
  const errors: CsvError[] = [];
  const seen = {
    serial: new Map<string, number>(),
    system_uuid: new Map<string, number>(),
    mac: new Map<string, number>(),
  };
  const hostnames = new Map<string, number>();
  for (const record of body) {
    const refuse = (reason: string) => errors.push({ line: record.line, reason });
    if (record.fields.length !== columns.length) {
      refuse(`has ${record.fields.length} fields; the header has ${columns.length}`);
      continue;
    }
    const value = (c: Column): string | null => {
      const i = columns.indexOf(c);
      const v = i < 0 ? '' : record.fields[i]!.trim();
      return v === '' ? null : v;
    };
    const hostname = value('hostname');
    const serial = value('serial');
    const uuidText = value('system_uuid');
    const macText = value('mac');
    const position = value('position');
    const problems: string[] = [];
    if (!hostname) problems.push('hostname is empty');
    else if (hostname.length > 253 || !HOSTNAME.test(hostname)) {
      problems.push(`hostname '${hostname}' is not a valid host name (letters, digits and hyphens, dot-separated)`);
    }
    if (serial !== null && !SERIAL.test(serial)) problems.push(`serial '${serial}' must be 1–128 printable characters`);
    if (uuidText !== null && !UUID.test(uuidText)) {
      problems.push(`system_uuid '${uuidText}' is not a UUID (8-4-4-4-12 hexadecimal digits)`);
    }
    if (macText !== null && !MAC.test(macText))
      problems.push(`mac '${macText}' is not a MAC address (aa:bb:cc:dd:ee:ff)`);
    if (serial === null && uuidText === null && macText === null) {
      problems.push('give a serial, system_uuid or mac: without one the machine cannot be recognised');
    }
    if (position !== null && position.length > 64) problems.push('position: at most 64 characters');
    const labels = parseLabels(value('labels') ?? '');
    if (typeof labels === 'string') problems.push(labels);
    if (problems.length) {
      refuse(problems.join('; '));
      continue;
    }
    const row: ExpectedRow = {
      line: record.line,
      hostname: hostname!,
      serial,
      system_uuid: uuidText && normaliseUuid(uuidText),
      mac: macText && normaliseMac(macText),
      labels: labels as string[],
      position,
    };
    const duplicates: string[] = [];
    const existingOf = { serial: existing.serials, system_uuid: existing.systemUuids, mac: existing.macs };
    for (const key of ['serial', 'system_uuid', 'mac'] as const) {
      const v = row[key];
      if (v === null) continue;
      const earlier = seen[key].get(v);
      if (earlier !== undefined) duplicates.push(`${key} '${v}' is already on line ${earlier} of this file`);
      else if (existingOf[key].has(v))
        duplicates.push(`${key} '${v}' is already expected (an unclaimed row imported before)`);
    }
    const sameName = hostnames.get(row.hostname.toLowerCase());
    if (sameName !== undefined)
      duplicates.push(`hostname '${row.hostname}' is already on line ${sameName} of this file`);
    if (duplicates.length) {
      refuse(duplicates.join('; '));
      continue;
    }
    for (const key of ['serial', 'system_uuid', 'mac'] as const)
      if (row[key] !== null) seen[key].set(row[key]!, row.line);
    hostnames.set(row.hostname.toLowerCase(), row.line);
    rows.push(row);
  }
  return { rows, errors };
}
