import type pg from 'pg';

/** A pool (reads) or one transaction's client (writes): what a repository runs its SQL on. */
export interface Sql {
  rows<R>(text: string, params?: unknown[]): Promise<R[]>;
  one<R>(text: string, params?: unknown[]): Promise<R | undefined>;
  /** Runs a statement; resolves to the number of rows it changed. */
  run(text: string, params?: unknown[]): Promise<number>;
}

export function sqlOn(target: Pick<pg.Pool, 'query'> | pg.ClientBase): Sql {
  const query = (text: string, params: unknown[] = []) =>
    (target as pg.ClientBase).query({ text, values: params }) as Promise<pg.QueryResult>;
  return {
    rows: async <R>(text: string, params?: unknown[]) => (await query(text, params)).rows as R[],
    one: async <R>(text: string, params?: unknown[]) => (await query(text, params)).rows[0] as R | undefined,
    run: async (text: string, params?: unknown[]) => (await query(text, params)).rowCount ?? 0,
  };
}

/** Numbered placeholders for SQL built piece by piece: `p(value)` adds a parameter and returns `$n`. */
export function placeholders(start: unknown[] = []) {
  const params = [...start];
  return {
    params,
    p(value: unknown): string {
      params.push(value);
      return `$${params.length}`;
    },
  };
}
