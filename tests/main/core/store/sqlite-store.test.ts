import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiError } from '../../../../src/shared/api/errors';
import { MIGRATIONS } from '../../../../src/main/core/db/migrations';
import { classifySqliteError, openSqliteStore } from '../../../../src/main/core/store/sqlite-store';

let dir: string;
let file: string;
let store: ReturnType<typeof openSqliteStore> | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-store-'));
  file = join(dir, 'gatehouse.db');
});
afterEach(async () => {
  await store?.close();
  store = undefined;
  rmSync(dir, { recursive: true, force: true });
});

const open = (lockWaitMs?: number) => (store = openSqliteStore(file, { lockWaitMs }));
const put = (key: string, value: unknown = key) => store!.write((tx) => tx.settings.write(key, value));
const saved = () => store!.read((r) => r.settings.readAll());

async function failure(call: Promise<unknown>): Promise<ApiError> {
  try {
    await call;
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('opening', () => {
  it('migrates a new file to the newest schema, in WAL with synchronous=FULL and foreign keys', async () => {
    const s = open();
    expect(s.engine).toBe('sqlite');
    expect(s.writer.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect(s.writer.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(s.writer.pragma('synchronous', { simple: true })).toBe(2);
    expect(s.writer.pragma('foreign_keys', { simple: true })).toBe(1);
    // The writer never waits inside SQLite (that would block the event loop).
    expect(s.writer.pragma('busy_timeout', { simple: true })).toBe(0);
    expect(s.reader.pragma('query_only', { simple: true })).toBe(1);
  });

  it('keeps what it committed across a reopen', async () => {
    open();
    await put('survives', 42);
    await store!.close();
    open();
    expect(await saved()).toEqual({ survives: 42 });
  });

  it('refuses writes through the read connection', async () => {
    const s = open();
    expect(() => s.reader.exec("INSERT INTO settings (key, value) VALUES ('x', '1')")).toThrow(/readonly/i);
  });

  it('answers queued writes before closing', async () => {
    open();
    const writes = Array.from({ length: 10 }, (_, i) => put(`q${i}`, i));
    await store!.close();
    await Promise.all(writes);
    store = openSqliteStore(file);
    expect(Object.keys(await saved())).toHaveLength(10);
  });
});

describe('a write lock held by another process', () => {
  it('answers STORE_UNAVAILABLE after lockWaitMs without blocking the event loop, then recovers', async () => {
    open(200);
    await put('before');
    const other = new Database(file);
    other.exec('BEGIN IMMEDIATE');
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    const started = Date.now();
    try {
      const error = await failure(put('blocked'));
      console.log(
        `STORE_UNAVAILABLE after ${Date.now() - started} ms (lockWaitMs 200), ${ticks} timer ticks meanwhile`,
      );
      expect(error.code).toBe('STORE_UNAVAILABLE');
      expect(error.status).toBe(503);
      expect(error.retryAfterSeconds).toBeGreaterThan(0);
      expect(error.message).toMatch(/another process holds its write lock/);
      // A busy wait inside SQLite would have starved the timer.
      expect(ticks).toBeGreaterThanOrEqual(3);
    } finally {
      clearInterval(timer);
      other.exec('ROLLBACK');
      other.close();
    }
    await put('after');
    expect(await saved()).toEqual({ before: 'before', after: 'after' });
  });

  it('waits for a lock released within lockWaitMs and then writes', async () => {
    open(5_000);
    const other = new Database(file);
    other.exec('BEGIN IMMEDIATE');
    other.exec("INSERT INTO settings (key, value) VALUES ('other', '1')");
    setTimeout(() => {
      other.exec('COMMIT');
      other.close();
    }, 100);
    await put('mine');
    expect(await saved()).toEqual({ other: 1, mine: 'mine' });
  });

  it('reads committed data while another process holds the write lock', async () => {
    open(200);
    await put('visible');
    const other = new Database(file);
    other.exec('BEGIN IMMEDIATE');
    other.exec("INSERT INTO settings (key, value) VALUES ('uncommitted', '1')");
    try {
      expect(await saved()).toEqual({ visible: 'visible' });
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
  });
});

describe('a full database', () => {
  it('answers STORE_UNAVAILABLE for writes that need space, and works again once there is room', async () => {
    const s = open();
    await put('small');
    const pages = s.writer.pragma('page_count', { simple: true }) as number;
    s.writer.pragma(`max_page_count = ${pages}`);
    const error = await failure(put('big', 'x'.repeat(200_000)));
    expect(error.code).toBe('STORE_UNAVAILABLE');
    expect(error.message).toMatch(/full/);
    expect(s.writer.inTransaction).toBe(false);
    s.writer.pragma(`max_page_count = ${pages * 1000}`);
    await put('big', 'x'.repeat(200_000));
    expect(((await saved()).big as string).length).toBe(200_000);
  });

  it('answers every unit of a batch that hit a full disk either as committed or as STORE_UNAVAILABLE', async () => {
    const s = open();
    await put('seed');
    const pages = s.writer.pragma('page_count', { simple: true }) as number;
    s.writer.pragma(`max_page_count = ${pages}`);
    const outcomes = await Promise.allSettled([put('tiny', 1), put('huge', 'y'.repeat(200_000)), put('last', 2)]);
    expect(outcomes[1]!.status).toBe('rejected');
    for (const o of outcomes) {
      if (o.status === 'rejected') expect(o.reason).toMatchObject({ code: 'STORE_UNAVAILABLE' });
    }
    // Whatever was acknowledged is stored; nothing else is.
    const expected: Record<string, unknown> = { seed: 'seed' };
    if (outcomes[0]!.status === 'fulfilled') expected.tiny = 1;
    if (outcomes[2]!.status === 'fulfilled') expected.last = 2;
    expect(await saved()).toEqual(expected);
    s.writer.pragma(`max_page_count = ${pages * 1000}`);
    await put('huge', 'y'.repeat(200_000));
  });
});

describe('a read-only database', () => {
  it('answers STORE_UNAVAILABLE, then recovers when it is writable again', async () => {
    const s = open();
    s.writer.pragma('query_only = ON');
    const error = await failure(put('refused'));
    expect(error.code).toBe('STORE_UNAVAILABLE');
    expect(error.message).toMatch(/read-only/);
    s.writer.pragma('query_only = OFF');
    await put('accepted');
    expect(await saved()).toEqual({ accepted: 'accepted' });
  });
});

describe('classifying errors', () => {
  it('turns store faults into STORE_UNAVAILABLE and passes every other error through unchanged', () => {
    for (const code of ['SQLITE_BUSY', 'SQLITE_FULL', 'SQLITE_READONLY', 'SQLITE_IOERR_WRITE', 'SQLITE_CORRUPT']) {
      expect(classifySqliteError(Object.assign(new Error(code), { code }))).toMatchObject({
        code: 'STORE_UNAVAILABLE',
      });
    }
    const constraint = Object.assign(new Error('UNIQUE'), { code: 'SQLITE_CONSTRAINT_UNIQUE' });
    expect(classifySqliteError(constraint)).toBe(constraint);
    const refusal = new ApiError('CONFLICT', 'no');
    expect(classifySqliteError(refusal)).toBe(refusal);
    expect(classifySqliteError(null)).toBeNull();
  });
});
