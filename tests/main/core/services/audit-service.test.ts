import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AdminEvent } from '../../../../src/shared/domain';
import { makeGatehouse, type TestGatehouse } from '../../../helpers/gatehouse';

let g: TestGatehouse;
beforeEach(async () => {
  g = await makeGatehouse();
});
afterEach(() => g.dispose());

const record = (actor: string, action: string, targetId: string | null = null, detail = {}) =>
  g.store.write((tx) => g.audit.record(tx, { actor, action, targetType: 'host', targetId, detail }));

describe('recording', () => {
  it('stamps an entry with the clock and answers it newest first', async () => {
    await record('alice', 'host.approved', 'h1', { hostname: 'web-01' });
    g.clock.advance(1_000);
    await record('bob', 'host.rejected', 'h2');
    const { entries } = await g.audit.list({});
    expect(entries).toEqual([
      {
        id: expect.any(Number),
        at: new Date(g.clock.now()).toISOString(),
        actor: 'bob',
        action: 'host.rejected',
        target_type: 'host',
        target_id: 'h2',
        batch_id: null,
        detail: {},
      },
      expect.objectContaining({
        at: new Date(g.clock.now() - 1_000).toISOString(),
        actor: 'alice',
        detail: { hostname: 'web-01' },
      }),
    ]);
  });

  it('lands with the change it describes or not at all (one unit of work)', async () => {
    await expect(
      g.store.write(async (tx) => {
        await g.audit.record(tx, { actor: 'alice', action: 'settings.updated', targetType: 'settings' });
        await tx.settings.write('token_prefix', 'LAB');
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect((await g.audit.list({})).entries).toEqual([]);
    expect(await g.store.read((r) => r.settings.readAll())).not.toHaveProperty('token_prefix');
  });

  it('announces an appended entry only after the commit', async () => {
    const events: AdminEvent[] = [];
    g.events.subscribe((e) => events.push(e));
    await g.store.write(async (tx) => {
      await g.audit.record(tx, { actor: 'a', action: 'x.y', targetType: 'host' });
      expect(events).toEqual([]);
    });
    expect(events).toEqual([{ topic: 'audit', action: 'appended' }]);
  });

  it('keeps the batch id that links the entries of one bulk action', async () => {
    await g.store.write(async (tx) => {
      for (const id of ['h1', 'h2']) {
        await g.audit.record(tx, {
          actor: 'a',
          action: 'host.approved',
          targetType: 'host',
          targetId: id,
          batchId: 'b-1',
        });
      }
    });
    expect((await g.audit.list({})).entries.map((e) => e.batch_id)).toEqual(['b-1', 'b-1']);
  });
});

describe('listing', () => {
  it('filters by target, actor, action and a half-open time range [from, to)', async () => {
    await record('alice', 'host.approved', 'h1');
    g.clock.advance(60_000);
    const middle = new Date(g.clock.now()).toISOString();
    await record('bob', 'host.rejected', 'h1');
    g.clock.advance(60_000);
    await record('alice', 'host.deleted', 'h2');
    const actions = async (input: Parameters<typeof g.audit.list>[0]) =>
      (await g.audit.list(input)).entries.map((e) => e.action);
    expect(await actions({ target_id: 'h1' })).toEqual(['host.rejected', 'host.approved']);
    expect(await actions({ actor: 'alice' })).toEqual(['host.deleted', 'host.approved']);
    expect(await actions({ action: 'host.rejected' })).toEqual(['host.rejected']);
    expect(await actions({ from: middle })).toEqual(['host.deleted', 'host.rejected']);
    expect(await actions({ to: middle })).toEqual(['host.approved']);
    const justAfter = new Date(Date.parse(middle) + 1).toISOString();
    expect(await actions({ from: middle, to: justAfter })).toEqual(['host.rejected']);
    expect(await actions({ actor: 'alice', target_id: 'h1' })).toEqual(['host.approved']);
  });

  it('pages newest first with before, each entry once', async () => {
    for (let i = 0; i < 7; i++) await record('a', `n.${i}`);
    const seen: string[] = [];
    let before: number | undefined;
    for (;;) {
      const page = await g.audit.list({ limit: 3, before });
      seen.push(...page.entries.map((e) => e.action));
      if (page.next_cursor === null) break;
      before = page.next_cursor;
    }
    expect(seen).toEqual(['n.6', 'n.5', 'n.4', 'n.3', 'n.2', 'n.1', 'n.0']);
  });
});
