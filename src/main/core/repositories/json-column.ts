/** JSON text columns hold arrays of strings; a damaged value reads as empty, never throws. */
export function readStringArray(text: string): string[] {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
  } catch {
    return [];
  }
}

export const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** A JSON object column; NULL or a damaged value reads as null. */
export function readJson<T>(text: string | null): T | null {
  if (text === null) return null;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as T) : null;
  } catch {
    return null;
  }
}
