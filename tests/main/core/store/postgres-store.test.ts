import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../../../src/shared/api/errors';
import type { RegisterHostInput } from '../../../../src/shared/api/schemas';
import type { AdminEvent } from '../../../../src/shared/domain';
import { notifyPayloads, openPostgresStore } from '../../../../src/main/core/store/postgres/postgres-store';
import { POSTGRES_MIGRATIONS } from '../../../../src/main/core/store/postgres/migrations';
import { openSqliteStore } from '../../../../src/main/core/store/sqlite-store';
import type { HostQuery, HostSortKey, NewHost } from '../../../../src/main/core/store/repositories';
import type { Store } from '../../../../src/main/core/store/store';
import { makeGatehouse, registration } from '../../../helpers/gatehouse';
import { startPostgres, type PostgresCluster } from '../../../helpers/postgres';

let cluster: PostgresCluster;
const dirs: string[] = [];
const opened: Store[] = [];

beforeAll(async () => {
  cluster = await startPostgres();
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
afterEach(async () => {
  for (const store of opened.splice(0)) await store.close().catch(() => {});
});

type Engine = { name: 'sqlite' | 'postgres'; open(): Promise<Store> };

const ENGINES: Engine[] = [
  {
    name: 'sqlite',
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'gatehouse-engine-'));
      dirs.push(dir);
      return openSqliteStore(join(dir, 'gatehouse.db'));
    },
  },
  { name: 'postgres', open: async () => openPostgresStore(await cluster.createDatabase()) },
];

async function open(engine: Engine): Promise<Store> {
  const store = await engine.open();
  opened.push(store);
  return store;
}

const T0 = 1_700_000_000_000;
const hash = (s: string) => Buffer.from(s.padEnd(32, '.'));

function newHost(n: number, over: Partial<NewHost> = {}): NewHost {
  const names = ['bravo', 'alpha', 'Charlie', 'alpha', 'delta', 'écho'];
  return {
    id: `h-${String(n).padStart(3, '0')}`,
    hostname: names[n % names.length]!,
    machineId: `machine-${n}`,
    status: n % 5 === 0 ? 'APPROVED' : 'PENDING',
    remoteAddr: `10.0.0.${n}`,
    ips: [`10.0.0.${n}`],
    os: 'Debian 12',
    arch: 'x86_64',
    labels: n % 2 ? ['gpu', 'rack=a'] : ['rack=b'],
    facts: n % 3 ? { serial: `SN-${n}`, system_uuid: `UUID-${n}`, macs: [`aa:bb:cc:00:00:${n}`] } : null,
    tokenId: null,
    tokenPrefix: null,
    verificationCode: `code-${n}`,
    replaces: null,
    conflict: false,
    expected: null,
    alarm: null,
    credentialHash: hash(`cred-${n}`),
    registeredAt: T0 + Math.floor(n / 3) * 1_000,
    decidedAt: null,
    decidedBy: null,
    ...over,
  };
}

/** The SQLite repository also leaves its `current` column (1/0) on the host record; only the flag beside it counts. */
function byCredential(found: { host: object; current: boolean } | undefined) {
  if (!found) return found;
  const { current: _column, ...host } = found.host as { current?: unknown };
  return { host, current: found.current };
}

/**
 * One fixed sequence of repository calls; its answers, collected. Both engines must give
 * the same answers (the records services see are engine-independent).
 */
async function scenario(store: Store): Promise<unknown[]> {
  const out: unknown[] = [];
  await store.write(async (tx) => {
    await tx.tokens.insert({
      id: 'tok-1',
      tokenHash: hash('token-1'),
      tokenSealed: Buffer.from('sealed'),
      prefix: 'ght_ab',
      description: 'rack A',
      expiresAt: T0 + 3_600_000,
      maxUses: 3,
      labels: ['rack=a'],
      autoApprove: true,
      allowedCidrs: ['10.0.0.0/8'],
      createdAt: T0,
      createdBy: 'admin',
    });
    for (let n = 0; n < 23; n++)
      await tx.hosts.insert(newHost(n, n < 4 ? { tokenId: 'tok-1', tokenPrefix: 'ght_ab' } : {}));
    await tx.hosts.insert(newHost(99, { replaces: 'h-001', machineId: 'machine-1' }));
    await tx.hosts.retire('h-001', T0 + 5_000, 'h-099');
    await tx.hosts.touchLastSeen(
      Array.from(
        { length: 23 },
        (_, n) => [`h-${String(n).padStart(3, '0')}`, T0 + (n % 4) * 10_000] as [string, number],
      ).filter((_, n) => n % 4 !== 0),
    );
    await tx.hosts.touchLastSeen([['h-002', T0]]); // older than stored: kept
    await tx.hosts.setStatus('h-003', 'APPROVED', T0 + 1, 'alice');
    await tx.hosts.setStatus('h-003', 'REJECTED', T0 + 2, 'alice', 'wrong rack');
    await tx.hosts.setConflict(['h-006', 'h-007'], true);
    await tx.hosts.setAlarm('h-008', 'clone' as never);
    await tx.hosts.setNextCredential('h-009', hash('next-9'));
    await tx.audit.insertMany([
      {
        at: T0,
        actor: 'admin',
        action: 'token.created',
        targetType: 'token',
        targetId: 'tok-1',
        batchId: null,
        detail: { a: 1 },
      },
      {
        at: T0 + 1,
        actor: 'alice',
        action: 'host.approved',
        targetType: 'host',
        targetId: 'h-003',
        batchId: 'b1',
        detail: {},
      },
      {
        at: T0 + 2,
        actor: 'alice',
        action: 'host.rejected',
        targetType: 'host',
        targetId: 'h-003',
        batchId: 'b1',
        detail: { reason: 'x' },
      },
    ]);
    await tx.settings.write('heartbeat', { online_window_s: 90 });
    await tx.idempotency.insert({
      key: 'k1',
      requestHash: hash('r'),
      hostId: 'h-002',
      responseSealed: Buffer.from('s'),
      createdAt: T0,
    });
    await tx.credentials.insert({
      id: 'cred-1',
      name: 'ci',
      scope: 'approver',
      prefix: 'gha_x',
      created_at: T0,
      created_by: 'admin',
      expires_at: null,
      revoked_at: null,
      last_used_at: null,
      credentialHash: hash('gha-1'),
    });
  });
  // Exact claims: 3 uses, 8 claimants racing in one batch.
  const claims = await Promise.all(
    Array.from({ length: 8 }, () => store.write((tx) => tx.tokens.claimUse('tok-1', T0 + 10))),
  );
  out.push(claims.filter(Boolean).length);
  await store.read(async (r) => {
    out.push(await r.tokens.findById('tok-1'));
    out.push(await r.tokens.findByHash(hash('token-1')));
    out.push(await r.tokens.list({ includeExpired: false, now: T0 }));
    out.push(await r.tokens.list({ includeExpired: false, now: T0 + 3_600_000 }));
    out.push(await r.tokens.usedByNodes('tok-1'));
    out.push(await r.tokens.usedByNodes('tok-1', 2));
    out.push(await r.hosts.findById('h-099'));
    out.push(await r.hosts.findById('h-003'));
    out.push(await r.hosts.findByMachineId('machine-1'));
    out.push(await r.hosts.findByHardware({ serial: 'SN-4' }));
    out.push(await r.hosts.findByHardware({ systemUuid: 'uuid-5' }));
    out.push(byCredential(await r.hosts.findByCredentialHash(hash('cred-9'))));
    out.push(byCredential(await r.hosts.findByCredentialHash(hash('next-9'))));
    out.push(byCredential(await r.hosts.findByCredentialHash(hash('cred-1')))); // retired
    out.push(await r.hosts.counts(T0 + 15_000));
    out.push(await r.hosts.idsWhere({ status: 'PENDING', tokenId: 'tok-1' }, 10));
    out.push(await r.audit.page({ limit: 2 }));
    out.push(await r.audit.page({ limit: 10, before: 3, actor: 'alice' }));
    out.push(await r.audit.page({ limit: 10, targetId: 'h-003', from: T0 + 2 }));
    out.push(await r.settings.readAll());
    out.push(await r.idempotency.find('k1'));
    out.push(await r.credentials.findByHash(hash('gha-1')));
    out.push(await r.credentials.list());
  });
  // Every sort, both directions, paged by keyset in pages of 1, 4 and 7: NULLs first ascending, last descending.
  for (const sort of ['registered_at', 'hostname', 'last_seen_at', 'status'] as HostSortKey[]) {
    for (const descending of [false, true]) {
      const base: HostQuery = { sort, descending, limit: 500, onlineSince: T0 + 15_000 };
      const whole = await store.read((r) => r.hosts.query(base));
      out.push(
        whole.hosts.map((h) => h.id),
        whole.total,
      );
      for (const limit of [1, 4, 7]) {
        const ids: string[] = [];
        let after: HostQuery['after'];
        for (let guard = 0; guard < 100; guard++) {
          const page = await store.read((r) => r.hosts.query({ ...base, limit, after }));
          ids.push(...page.hosts.map((h) => h.id));
          const last = page.hosts.at(-1);
          if (page.hosts.length < limit || !last) break;
          after = { value: last[sort], id: last.id };
        }
        expect(ids).toEqual(whole.hosts.map((h) => h.id));
      }
    }
  }
  for (const q of [
    { status: 'PENDING' },
    { connectivity: 'NEVER' },
    { connectivity: 'ONLINE' },
    { connectivity: 'OFFLINE' },
    { label: 'gpu' },
    { terms: ['sn-1'] },
    { terms: ['al', '10.0.0.1'] },
    { terms: ['%'] },
    { ids: ['h-002', 'h-010', 'h-001'] },
    { tokenId: 'tok-1' },
  ] as Partial<HostQuery>[]) {
    const answer = await store.read((r) =>
      r.hosts.query({ sort: 'hostname', descending: false, limit: 50, onlineSince: T0 + 15_000, ...q }),
    );
    out.push(
      answer.hosts.map((h) => h.id),
      answer.total,
    );
  }
  await store.write(async (tx) => {
    out.push(await tx.tokens.revoke('tok-1', T0 + 20));
    out.push(await tx.tokens.revoke('tok-1', T0 + 21));
    await tx.tokens.recordFailure('tok-1', '10.9.9.9', T0 + 22);
    out.push(await tx.tokens.dropUnusableSealedCopies(T0 + 23));
    await tx.hosts.promoteNextCredential('h-009');
    out.push(await tx.hosts.delete('h-022'));
    out.push(await tx.hosts.delete('h-022'));
    out.push(await tx.credentials.revoke('cred-1', T0 + 30));
    await tx.idempotency.deleteOlderThan(T0 + 1);
  });
  await store.read(async (r) => {
    out.push(await r.tokens.findById('tok-1'));
    out.push(byCredential(await r.hosts.findByCredentialHash(hash('next-9'))));
    out.push(await r.idempotency.find('k1'));
    out.push(await r.credentials.findByName('ci'));
  });
  return out;
}

describe('both engines answer every repository call alike', () => {
  it('gives the same records, counts, keyset pages (NULLs first/last) and exact claims on SQLite and PostgreSQL', async () => {
    const sqlite = await scenario(await open(ENGINES[0]!));
    const postgres = await scenario(await open(ENGINES[1]!));
    expect(sqlite[0]).toBe(3);
    expect(postgres).toEqual(sqlite);
  }, 60_000);
});

describe.each(ENGINES)('the $name store', (engine) => {
  it('commits units of one turn together, rolls back a failing unit alone, and announces only committed events', async () => {
    const store = await open(engine);
    const heard: AdminEvent[][] = [];
    const batches: number[] = [];
    store.onCommit((events) => heard.push(events));
    store.onBatch((stats) => batches.push(stats.units));
    const results = await Promise.allSettled([
      store.write(async (tx) => {
        await tx.settings.write('a', 1);
        tx.emit({ topic: 'settings', action: 'updated', id: 'a' });
      }),
      store.write(async (tx) => {
        await tx.settings.write('b', 2);
        tx.emit({ topic: 'settings', action: 'updated', id: 'b' });
        throw new Error('refused');
      }),
      store.write(async (tx) => {
        await tx.settings.write('c', 3);
        tx.emit({ topic: 'settings', action: 'updated', id: 'c' });
      }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(batches).toEqual([3]);
    expect(heard).toEqual([
      [
        { topic: 'settings', action: 'updated', id: 'a' },
        { topic: 'settings', action: 'updated', id: 'c' },
      ],
    ]);
    expect(await store.read((r) => r.settings.readAll())).toEqual({ a: 1, c: 3 });
  });

  it('keeps a unique-key violation a plain error of its own unit, not a store fault', async () => {
    const store = await open(engine);
    await store.write((tx) => tx.hosts.insert(newHost(1)));
    const [dup, other] = await Promise.allSettled([
      store.write((tx) => tx.hosts.insert(newHost(1))),
      store.write((tx) => tx.hosts.insert(newHost(2))),
    ]);
    expect(dup.status).toBe('rejected');
    expect((dup as PromiseRejectedResult).reason).not.toBeInstanceOf(ApiError);
    expect(other.status).toBe('fulfilled');
  });

  it('runs the services: tokens, registration up to max_uses, approval, audit and settings', async () => {
    const g = await makeGatehouse({ store: await engine.open() });
    try {
      const t = await g.tokens.create({ expires_in_hours: 4, max_uses: 25 }, 'admin');
      const results = await Promise.allSettled(
        Array.from({ length: 60 }, () => g.enrolment.register(registration(t.token) as RegisterHostInput, '10.0.0.7')),
      );
      const ok = results.filter((r) => r.status === 'fulfilled') as PromiseFulfilledResult<{
        host_id: string;
        host_token: string;
      }>[];
      expect(ok).toHaveLength(25);
      const listed = await g.hosts.list({ limit: 100 });
      expect(listed.hosts).toHaveLength(25);
      const first = ok[0]!.value;
      await g.hosts.decide(first.host_id, 'approve', 'alice');
      expect((await g.enrolment.authenticate(first.host_token)).status).toBe('APPROVED');
      const audit = await g.audit.list({ limit: 100 });
      expect(audit.entries.some((e) => e.actor === 'alice' && e.target_id === first.host_id)).toBe(true);
      await g.settings.update(g.settings.get(), 'admin');
      expect((await g.tokens.list(false)).tokens[0]?.use_count).toBe(25);
    } finally {
      await g.dispose();
    }
  }, 60_000);
});

describe('PostgreSQL across servers', () => {
  it('hands one server’s committed events to another server’s listeners, in chunks under the NOTIFY limit', async () => {
    const url = await cluster.createDatabase();
    const a = await openPostgresStore(url);
    const b = await openPostgresStore(url);
    opened.push(a, b);
    const heardByB: AdminEvent[] = [];
    const heardByA: AdminEvent[] = [];
    b.onCommit((events) => heardByB.push(...events));
    a.onCommit((events) => heardByA.push(...events));
    const ids = Array.from({ length: 3_000 }, (_, i) => `host-${i}-${randomBytes(8).toString('hex')}`);
    await a.write(async (tx) => {
      tx.emit({ topic: 'hosts', action: 'registered', id: 'one' });
      tx.emit({ topic: 'hosts', action: 'heartbeats', ids, count: ids.length });
    });
    for (let i = 0; i < 100 && heardByB.flatMap((e) => e.ids ?? []).length < ids.length; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(heardByB[0]).toEqual({ topic: 'hosts', action: 'registered', id: 'one' });
    expect(heardByB.flatMap((e) => e.ids ?? [])).toEqual(ids);
    // A server hears its own events once, from its commit, not again from NOTIFY.
    expect(heardByA.filter((e) => e.action === 'registered')).toHaveLength(1);
    for (const payload of notifyPayloads('s', [{ topic: 'hosts', action: 'heartbeats', ids, count: ids.length }])) {
      expect(Buffer.byteLength(payload)).toBeLessThan(8000);
    }
  });

  it('drops a credential cached on one server when another server disables its host', async () => {
    const url = await cluster.createDatabase();
    const key = randomBytes(32);
    const a = await makeGatehouse({ store: await openPostgresStore(url, { secretKey: key }) });
    const b = await makeGatehouse({ store: await openPostgresStore(url, { secretKey: key }) });
    try {
      const t = await a.tokens.create({ expires_in_hours: 4, max_uses: 0, auto_approve: true }, 'admin');
      const r = await a.enrolment.register(registration(t.token) as RegisterHostInput, '10.0.0.7');
      expect((await b.enrolment.authenticate(r.host_token)).status).toBe('APPROVED'); // now cached on b
      await a.hosts.decide(r.host_id, 'disable', 'alice');
      let status = 'APPROVED';
      for (let i = 0; i < 40 && status === 'APPROVED'; i++) {
        status = (await b.enrolment.authenticate(r.host_token)).status;
        if (status === 'APPROVED') await new Promise((res) => setTimeout(res, 50));
      }
      expect(status).toBe('DISABLED');
    } finally {
      await a.dispose();
      await b.dispose();
    }
  });

  it('migrates once when several servers start together, and refuses a database newer than itself', async () => {
    const url = await cluster.createDatabase();
    const stores = await Promise.all([1, 2, 3, 4].map(() => openPostgresStore(url)));
    opened.push(...stores);
    const client = new pg.Client(url);
    await client.connect();
    try {
      const { rows } = await client.query('SELECT version FROM schema_migrations ORDER BY version');
      expect(rows.map((r: { version: number }) => r.version)).toEqual(POSTGRES_MIGRATIONS.map((m) => m.version));
      await client.query("INSERT INTO schema_migrations VALUES (999, '0999-future', 0)");
      await expect(openPostgresStore(url)).rejects.toThrow(/schema version 999, newer than this Gatehouse/);
    } finally {
      await client.end();
    }
  });

  it('refuses a server whose secret key differs from the one the store was set up with', async () => {
    const url = await cluster.createDatabase();
    opened.push(await openPostgresStore(url, { secretKey: randomBytes(32) }));
    await expect(openPostgresStore(url, { secretKey: randomBytes(32) })).rejects.toThrow(/another secret key/);
  });

  it('answers STORE_UNAVAILABLE while the database is read-only or its connections are cut, and recovers', async () => {
    const url = await cluster.createDatabase();
    const name = new URL(url).pathname.slice(1);
    const store = await openPostgresStore(url, { poolSize: 2 });
    opened.push(store);
    const admin = new pg.Client(`${cluster.baseUrl}postgres`);
    await admin.connect();
    const cut = () =>
      admin.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
        [name],
      );
    try {
      await store.write((tx) => tx.settings.write('x', 1));
      await admin.query(`ALTER DATABASE ${name} SET default_transaction_read_only = on`);
      await cut();
      await new Promise((r) => setTimeout(r, 100));
      const errors: unknown[] = [];
      for (let i = 0; i < 3; i++)
        errors.push(await store.write((tx) => tx.settings.write('x', 2)).catch((e: unknown) => e));
      for (const error of errors) {
        expect(error).toBeInstanceOf(ApiError);
        expect((error as ApiError).code).toBe('STORE_UNAVAILABLE');
        expect((error as ApiError).retryAfterSeconds).toBeGreaterThan(0);
      }
      expect(String((errors.at(-1) as ApiError).message)).toMatch(/read-only/);
      await admin.query(`ALTER DATABASE ${name} RESET default_transaction_read_only`);
      await cut();
      await new Promise((r) => setTimeout(r, 100));
      let ok = false;
      for (let i = 0; i < 5 && !ok; i++)
        ok = await store
          .write((tx) => tx.settings.write('x', 3))
          .then(
            () => true,
            () => false,
          );
      expect(ok).toBe(true);
      expect(await store.read((r) => r.settings.readAll())).toEqual({ x: 3 });
    } finally {
      await admin.end();
    }
  });
});
