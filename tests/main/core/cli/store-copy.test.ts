import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RegisterHostInput } from '../../../../src/shared/api/schemas';
import { storeCopy } from '../../../../src/main/core/cli/store-copy';
import { dataPaths } from '../../../../src/main/core/data-dir';
import { createGatehouse, type Gatehouse } from '../../../../src/main/core/gatehouse';
import { manualClock } from '../../../../src/main/core/services/clock';
import { openPostgresStore } from '../../../../src/main/core/store/postgres/postgres-store';
import { registration } from '../../../helpers/gatehouse';
import { startPostgres, type PostgresCluster } from '../../../helpers/postgres';

let cluster: PostgresCluster;
const dirs: string[] = [];
beforeAll(async () => {
  cluster = await startPostgres();
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A desktop's data directory: its key file and a SQLite store with tokens, hosts, audit and sealed copies. */
async function desktop() {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-desktop-'));
  dirs.push(dir);
  const paths = dataPaths(dir);
  const key = randomBytes(32);
  writeFileSync(paths.secretKey, key.toString('base64') + '\n', { mode: 0o600 });
  const clock = manualClock();
  const g = await createGatehouse({ databaseFile: paths.database, secretKey: key, clock });
  g.setEndpoint({ lanUrl: 'https://192.0.2.10:7443', tlsFingerprint: 'AAAAtestpin=' });
  const reusable = await g.tokens.create({ expires_in_hours: 24, max_uses: 0, labels: ['rack=a'] }, 'admin');
  const once = await g.tokens.create({ expires_in_hours: 24, max_uses: 2, description: 'two' }, 'admin');
  const hosts: string[] = [];
  for (let i = 0; i < 30; i++) {
    clock.advance(1_000);
    const r = await g.enrolment
      .register(
        registration(i % 2 ? reusable.token : once.token, { hostname: `n-${i % 7}` }) as RegisterHostInput,
        '10.0.0.7',
      )
      .catch(() => undefined);
    if (r) hosts.push(r.host_id);
  }
  await g.hosts.decide(hosts[0]!, 'approve', 'alice');
  await g.hosts.decide(hosts[1]!, 'reject', 'alice', 'not ours');
  await g.credentials.create({ name: 'ci', scope: 'read-only' }, 'admin');
  await g.settings.update(g.settings.get(), 'admin');
  const snapshot = await read(g);
  await g.close();
  return { dir, key, reusable, hosts, snapshot, clock };
}

async function read(g: Gatehouse) {
  return {
    hosts: (await g.hosts.list({ limit: 500, sort: 'hostname' })).hosts,
    tokens: (await g.tokens.list(true)).tokens,
    audit: (await g.audit.list({ limit: 500 })).entries,
  };
}

describe('store copy', () => {
  it('copies a SQLite store into PostgreSQL, verified per table, and the copy serves the same fleet', async () => {
    const source = await desktop();
    const url = await cluster.createDatabase();
    const report = await storeCopy({ from: source.dir, to: url });
    const byTable = Object.fromEntries(report.tables.map((t) => [t.table, t.rows]));
    expect(byTable.hosts).toBe(source.hosts.length);
    expect(byTable.registration_tokens).toBe(2);
    expect(byTable.audit_log).toBe(source.snapshot.audit.length);
    expect(report.key_recorded).toBe(true);
    console.log(`store copy: ${report.tables.reduce((n, t) => n + t.rows, 0)} rows in ${report.milliseconds} ms`);

    const g = await createGatehouse({
      store: await openPostgresStore(url, { secretKey: source.key }),
      secretKey: source.key,
      clock: source.clock,
    });
    g.setEndpoint({ lanUrl: 'https://192.0.2.10:7443', tlsFingerprint: 'AAAAtestpin=' });
    try {
      expect(await read(g)).toEqual(source.snapshot);
      // The sealed copy opens with the desktop's key, and the token still enrols.
      expect((await g.tokens.reveal(source.reusable.id, 'admin')).token).toBe(source.reusable.token);
      const r = await g.enrolment.register(registration(source.reusable.token) as RegisterHostInput, '10.0.0.8');
      expect(r.status).toBe('PENDING');
      // New audit entries continue after the copied ones.
      const newest = (await g.audit.list({ limit: 1 })).entries[0]!;
      expect(newest.id).toBeGreaterThan(Math.max(...source.snapshot.audit.map((e) => e.id)));
    } finally {
      await g.close();
    }
    // Servers with another key are refused by the copied store.
    await expect(openPostgresStore(url, { secretKey: randomBytes(32) })).rejects.toThrow(/another secret key/);
  }, 60_000);

  it('refuses a target that holds data unless forced, and leaves it untouched', async () => {
    const source = await desktop();
    const url = await cluster.createDatabase();
    await storeCopy({ from: source.dir, to: url });
    const client = new pg.Client(url);
    await client.connect();
    try {
      await client.query("INSERT INTO settings (key, value) VALUES ('marker', '1')");
      await expect(storeCopy({ from: source.dir, to: url })).rejects.toThrow(/already holds data.*--force/);
      expect((await client.query("SELECT 1 FROM settings WHERE key = 'marker'")).rowCount).toBe(1);
      const forced = await storeCopy({ from: source.dir, to: url, force: true });
      expect(forced.tables.find((t) => t.table === 'hosts')?.rows).toBe(source.hosts.length);
      expect((await client.query("SELECT 1 FROM settings WHERE key = 'marker'")).rowCount).toBe(0);
    } finally {
      await client.end();
    }
  }, 60_000);
});
