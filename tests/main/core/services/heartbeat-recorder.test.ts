import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AdminEvent } from '../../../../src/shared/domain';
import type { RegisterHostInput } from '../../../../src/shared/api/schemas';
import { openSqliteStore } from '../../../../src/main/core/store/sqlite-store';
import { makeGatehouse, registration, type TestGatehouse } from '../../../helpers/gatehouse';

let g: TestGatehouse;
let store: ReturnType<typeof openSqliteStore>;
let storeDir: string;
beforeEach(async () => {
  storeDir = mkdtempSync(join(tmpdir(), 'gatehouse-beats-'));
  store = openSqliteStore(join(storeDir, 'gatehouse.db'));
  g = await makeGatehouse({ store });
});
afterEach(async () => {
  await g.dispose();
  rmSync(storeDir, { recursive: true, force: true });
});

/** Approved hosts, registered through the enrolment service. */
async function hosts(n: number): Promise<string[]> {
  const t = await g.tokens.create({ expires_in_hours: 1, max_uses: 0, auto_approve: true }, 'admin');
  const made = await Promise.all(
    Array.from({ length: n }, () => g.enrolment.register(registration(t.token) as RegisterHostInput, '10.0.0.7')),
  );
  return made.map((r) => r.host_id);
}
const stored = async (id: string) => (await store.read((r) => r.hosts.findById(id)))!.last_seen_at;

describe('the heartbeat recorder', () => {
  it('keeps the newest beat per host in memory and writes all hosts in one commit per flush', async () => {
    const [a, b] = await hosts(2);
    const batches: number[] = [];
    store.onBatch((s) => batches.push(s.units));
    g.heartbeats.record(a!, 1_000);
    g.heartbeats.record(a!, 3_000);
    g.heartbeats.record(a!, 2_000);
    g.heartbeats.record(b!, 5_000);
    expect(g.heartbeats.lastSeen(a!, null)).toBe(3_000);
    expect(g.heartbeats.lastSeen(a!, 9_000)).toBe(9_000);
    expect(g.heartbeats.backlog).toBe(2);
    expect(await g.heartbeats.flush()).toBe(2);
    expect(batches).toEqual([1]);
    expect(await stored(a!)).toBe(3_000);
    expect(await stored(b!)).toBe(5_000);
    expect(g.heartbeats.backlog).toBe(0);
  });

  it('never moves a stored time backwards', async () => {
    const [a] = await hosts(1);
    g.heartbeats.record(a!, 5_000);
    await g.heartbeats.flush();
    g.heartbeats.record(a!, 4_000);
    await g.heartbeats.flush();
    expect(await stored(a!)).toBe(5_000);
  });

  it('keeps the batch of a flush that fails, and the next flush writes it', async () => {
    const ids = await hosts(3);
    ids.forEach((id, i) => g.heartbeats.record(id, 10_000 + i));
    store.writer.pragma('query_only = ON');
    await expect(g.heartbeats.flush()).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    expect(g.heartbeats.backlog).toBe(3);
    ids.forEach((id, i) => expect(g.heartbeats.lastSeen(id, null)).toBe(10_000 + i));
    for (const id of ids) expect(await stored(id)).toBeNull();
    store.writer.pragma('query_only = OFF');
    expect(await g.heartbeats.flush()).toBe(3);
    expect(g.heartbeats.backlog).toBe(0);
    for (const [i, id] of ids.entries()) expect(await stored(id)).toBe(10_000 + i);
  });

  it('lets a beat noted during a failing flush win over the batch put back', async () => {
    const [a] = await hosts(1);
    g.heartbeats.record(a!, 1_000);
    store.writer.pragma('query_only = ON');
    const failing = g.heartbeats.flush();
    g.heartbeats.record(a!, 2_000);
    await expect(failing).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    store.writer.pragma('query_only = OFF');
    expect(await g.heartbeats.flush()).toBe(1);
    expect(await stored(a!)).toBe(2_000);
  });

  it('runs one flush at a time: a second one while the first is in flight writes nothing', async () => {
    const [a] = await hosts(1);
    g.heartbeats.record(a!, 1_000);
    const first = g.heartbeats.flush();
    expect(await g.heartbeats.flush()).toBe(0);
    expect(await first).toBe(1);
  });

  it('forgets a host so a deleted host is never written back', async () => {
    const [a] = await hosts(1);
    g.heartbeats.record(a!, 1_000);
    g.heartbeats.forget(a!);
    expect(g.heartbeats.backlog).toBe(0);
    expect(await g.heartbeats.flush()).toBe(0);
  });

  it('announces a flush with the ids that beat, after the commit', async () => {
    const ids = await hosts(3);
    const events: AdminEvent[] = [];
    g.events.subscribe((e) => events.push(e));
    for (const id of ids) g.heartbeats.record(id, 1_000);
    await g.heartbeats.flush();
    expect(events).toEqual([{ topic: 'hosts', action: 'heartbeats', count: 3, ids }]);
  });
});
