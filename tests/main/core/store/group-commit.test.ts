import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AdminEvent } from '../../../../src/shared/domain';
import { ApiError } from '../../../../src/shared/api/errors';
import { EventBus } from '../../../../src/main/core/services/event-bus';
import { createGroupCommitter, type EngineTransaction } from '../../../../src/main/core/store/group-commit';
import { openSqliteStore } from '../../../../src/main/core/store/sqlite-store';
import type { Repositories } from '../../../../src/main/core/store/store';
import { makeGatehouse } from '../../../helpers/gatehouse';

let dir: string;
let store: ReturnType<typeof openSqliteStore>;
let batches: { seconds: number; units: number }[];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-group-'));
  store = openSqliteStore(join(dir, 'group.db'));
  batches = [];
  store.onBatch((stats) => batches.push(stats));
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const saved = () => store.read((r) => r.settings.readAll());
const put = (key: string, value: unknown = key) => store.write((tx) => tx.settings.write(key, value));

describe('group commit', () => {
  it('writes the units queued in one turn in one transaction', async () => {
    await Promise.all(Array.from({ length: 50 }, (_, i) => put(`k${i}`, i)));
    expect(batches.map((b) => b.units)).toEqual([50]);
    expect(Object.keys(await saved())).toHaveLength(50);
    console.log(`50 units, one commit in ${(batches[0]!.seconds * 1000).toFixed(2)} ms`);
  });

  it('writes units of later turns in later transactions', async () => {
    await put('a');
    await put('b');
    await Promise.all([put('c'), put('d')]);
    expect(batches.map((b) => b.units)).toEqual([1, 1, 2]);
  });

  it('settles each promise only after the commit: its write is visible to reads when it resolves', async () => {
    const seen = await Promise.all(
      Array.from({ length: 20 }, (_, i) => put(`v${i}`, i).then(async () => (await saved())[`v${i}`])),
    );
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(batches).toHaveLength(1);
  });

  it('shows reads nothing of a unit until its transaction commits', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let written!: () => void;
    const wrote = new Promise<void>((resolve) => (written = resolve));
    const pending = store.write(async (tx) => {
      await tx.settings.write('held', true);
      written();
      await gate;
    });
    await wrote;
    expect(await saved()).not.toHaveProperty('held');
    release();
    await pending;
    expect(await saved()).toMatchObject({ held: true });
  });

  it('rolls back a unit that throws to its savepoint and rejects it, while its neighbours commit', async () => {
    const outcomes = await Promise.allSettled([
      put('before'),
      store.write(async (tx) => {
        await tx.settings.write('doomed', 1);
        throw new ApiError('CONFLICT', 'refused');
      }),
      put('after'),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'CONFLICT' });
    expect(batches.map((b) => b.units)).toEqual([3]);
    expect(await saved()).toEqual({ before: 'before', after: 'after' });
  });

  it('rolls back a unit whose SQL fails and keeps its neighbours', async () => {
    const outcomes = await Promise.allSettled([
      put('kept'),
      store.write(async (tx) => {
        await tx.settings.write('partial', 1);
        // CHECK (max_uses >= 0) refuses this row: a request fault, not a store fault.
        await tx.tokens.insert({
          id: 'bad',
          tokenHash: Buffer.alloc(32),
          tokenSealed: null,
          prefix: 'GATE-TEST',
          description: '',
          expiresAt: Date.now() + 60_000,
          maxUses: -1,
          labels: [],
          autoApprove: false,
          allowedCidrs: [],
          createdAt: Date.now(),
          createdBy: 'test',
        });
      }),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'SQLITE_CONSTRAINT_CHECK' });
    expect(await saved()).toEqual({ kept: 'kept' });
  });

  it('releases emitted events to commit listeners only after the commit, never for a rolled-back unit', async () => {
    const released: { events: AdminEvent[]; visible: Record<string, unknown> }[] = [];
    const reads: Promise<void>[] = [];
    store.onCommit((events) => {
      // Read on the reader connection: the commit must already be visible to it.
      reads.push(saved().then((visible) => void released.push({ events, visible })));
    });
    await Promise.allSettled([
      store.write(async (tx) => {
        await tx.settings.write('one', 1);
        tx.emit({ topic: 'settings', action: 'one' });
        expect(released).toHaveLength(0);
      }),
      store.write(async (tx) => {
        await tx.settings.write('two', 2);
        tx.emit({ topic: 'settings', action: 'rolled-back' });
        throw new Error('no');
      }),
      store.write(async (tx) => {
        await tx.settings.write('three', 3);
        tx.emit({ topic: 'hosts', action: 'three', id: 'h1' });
      }),
    ]);
    await Promise.all(reads);
    expect(released).toHaveLength(1);
    expect(released[0]!.events).toEqual([
      { topic: 'settings', action: 'one' },
      { topic: 'hosts', action: 'three', id: 'h1' },
    ]);
    expect(released[0]!.visible).toEqual({ one: 1, three: 3 });
  });

  it('announces an event that names nothing once per unit, however often the unit emits it', async () => {
    const released: AdminEvent[][] = [];
    store.onCommit((events) => released.push(events));
    await store.write(async (tx) => {
      for (let i = 0; i < 5_000; i++) tx.emit({ topic: 'audit', action: 'appended' });
      tx.emit({ topic: 'hosts', action: 'approve', id: 'a' });
      tx.emit({ topic: 'hosts', action: 'approve', id: 'b' });
    });
    expect(released).toEqual([
      [
        { topic: 'audit', action: 'appended' },
        { topic: 'hosts', action: 'approve', id: 'a' },
        { topic: 'hosts', action: 'approve', id: 'b' },
      ],
    ]);
  });

  it('does not call commit listeners for a batch that emitted nothing', async () => {
    let calls = 0;
    store.onCommit(() => calls++);
    await put('quiet');
    expect(calls).toBe(0);
    expect(batches).toHaveLength(1);
  });
});

/** An engine whose commit can be made to fail, to see what the committer does then. */
function fakeEngine(options: { failCommit?: boolean; failBegin?: boolean }) {
  const log: string[] = [];
  const tx: EngineTransaction = {
    repositories: { hosts: {} } as unknown as Repositories,
    isOpen: () => true,
    savepoint: async () => void log.push('savepoint'),
    release: async () => void log.push('release'),
    rollbackToSavepoint: async () => void log.push('rollback-to'),
    commit: async () => {
      log.push('commit');
      if (options.failCommit) throw Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' });
    },
    rollback: async () => void log.push('rollback'),
  };
  return { tx, log };
}

describe('group commit against a failing engine', () => {
  it('rejects every unit of a batch whose commit fails, and announces nothing', async () => {
    const { tx, log } = fakeEngine({ failCommit: true });
    const announced: unknown[] = [];
    const committer = createGroupCommitter({
      begin: async () => tx,
      classify: (e) => new ApiError('STORE_UNAVAILABLE', String(e)),
      onCommitted: (events, stats) => announced.push({ events, stats }),
    });
    const outcomes = await Promise.allSettled([
      committer.write(async (uow) => uow.emit({ topic: 'settings', action: 'a' })),
      committer.write(async (uow) => uow.emit({ topic: 'settings', action: 'b' })),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    for (const o of outcomes) expect((o as PromiseRejectedResult).reason).toMatchObject({ code: 'STORE_UNAVAILABLE' });
    expect(announced).toEqual([]);
    expect(log).toEqual(['savepoint', 'release', 'savepoint', 'release', 'commit', 'rollback']);
  });

  it('rejects every unit when no transaction can be opened, and serves the next batch', async () => {
    let refuse = true;
    const { tx } = fakeEngine({});
    const committer = createGroupCommitter({
      begin: async () => {
        if (refuse) throw new ApiError('STORE_UNAVAILABLE', 'busy');
        return tx;
      },
      classify: (e) => e,
      onCommitted: () => {},
    });
    const first = await Promise.allSettled([committer.write(async () => 1), committer.write(async () => 2)]);
    expect(first.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    refuse = false;
    expect(await Promise.all([committer.write(async () => 3), committer.write(async () => 4)])).toEqual([3, 4]);
    await committer.idle();
  });
});

describe('the event bus', () => {
  it('keeps delivering when a listener throws, and reports the error instead of raising it', () => {
    const errors: unknown[] = [];
    const bus = new EventBus((error) => errors.push(error));
    const seen: string[] = [];
    bus.subscribe(() => {
      throw new Error('listener broke');
    });
    bus.subscribe((e) => seen.push(e.action));
    expect(() => bus.publish({ topic: 'hosts', action: 'approve', id: 'x' })).not.toThrow();
    expect(seen).toEqual(['approve']);
    expect(errors).toHaveLength(1);
    expect((errors[0] as Error).message).toBe('listener broke');
  });

  it('a listener that throws does not fail the write that published', async () => {
    const g = await makeGatehouse();
    try {
      g.events.subscribe(() => {
        throw new Error('listener broke');
      });
      const seen: string[] = [];
      g.events.subscribe((e) => seen.push(`${e.topic}.${e.action}`));
      const t = await g.tokens.create({ expires_in_hours: 1, max_uses: 1 }, 'admin');
      expect((await g.tokens.get(t.id)).id).toBe(t.id);
      expect(seen).toContain('tokens.created');
    } finally {
      await g.dispose();
    }
  });

  it('counts one subscription per subscribe, even of the same function', () => {
    const bus = new EventBus();
    let calls = 0;
    const listener = () => void calls++;
    const stopA = bus.subscribe(listener);
    bus.subscribe(listener);
    bus.publish({ topic: 'audit', action: 'appended' });
    expect(calls).toBe(2);
    stopA();
    bus.publish({ topic: 'audit', action: 'appended' });
    expect(calls).toBe(3);
  });
});
