import { ApiError } from '../../../shared/api/errors';
import type { HostRecord, HostSortKey } from '../store/repositories';

type Position = { value: string | number | null; id: string };

/** An opaque page position: the sort value and id of the last row served. */
export function encodeCursor(last: HostRecord, sort: HostSortKey): string {
  return Buffer.from(JSON.stringify([last[sort], last.id])).toString('base64url');
}

export function decodeCursor(cursor: string): Position {
  try {
    const [value, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    const valueOk = value === null || typeof value === 'string' || typeof value === 'number';
    if (valueOk && typeof id === 'string') return { value: value as Position['value'], id };
  } catch {
    // fall through to the refusal
  }
  throw new ApiError(
    'VALIDATION_FAILED',
    'cursor: this is not a cursor Gatehouse gave out; start from the first page.',
    [{ path: 'cursor', message: 'not a cursor from a previous page' }],
  );
}
