import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './free-port';

/** A throwaway PostgreSQL cluster owned by this test file. */
export interface PostgresCluster {
  /** `postgres://postgres@127.0.0.1:PORT/` without a database; see {@link createDatabase}. */
  baseUrl: string;
  port: number;
  dir: string;
  /** A fresh, empty database on the cluster; returns its URL. */
  createDatabase(name?: string): Promise<string>;
  stop(): Promise<void>;
}

/** The newest PostgreSQL server binaries installed under /usr/lib/postgresql. */
export function postgresBin(): string {
  const versions = readdirSync('/usr/lib/postgresql')
    .filter((v) => /^\d+$/.test(v))
    .sort((a, b) => Number(b) - Number(a));
  if (!versions.length) throw new Error('no PostgreSQL under /usr/lib/postgresql: run scripts/setup-system.sh');
  return `/usr/lib/postgresql/${versions[0]}/bin`;
}

/** Runs a PostgreSQL binary as the `postgres` OS user (initdb refuses root). */
function asPostgres(bin: string, args: string[]): string {
  const run = process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
  return execFileSync(run[0] as string, run[1] as string[], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * Starts a cluster in a temp dir owned by `postgres`: loopback only, on a free port,
 * its socket in the same dir, trust auth for loopback (a test cluster with no secrets).
 * Never assumes a server is already running; `stop` shuts it down and removes the dir.
 */
export async function startPostgres(settings: { durable?: boolean } = {}): Promise<PostgresCluster> {
  const bin = postgresBin();
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-pg-'));
  chmodSync(dir, 0o700);
  const data = join(dir, 'data');
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  asPostgres(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const port = await freePort();
  const options = [
    `-c listen_addresses=127.0.0.1`,
    `-k ${dir}`,
    `-p ${port}`,
    // Tests need no durability from a throwaway cluster; the bench measures with it.
    `-c fsync=${settings.durable ? 'on' : 'off'}`,
    `-c max_connections=200`,
    `-c shared_buffers=32MB`,
  ].join(' ');
  asPostgres(join(bin, 'pg_ctl'), ['-D', data, '-l', join(dir, 'log'), '-o', options, '-w', '-t', '60', 'start']);
  const baseUrl = `postgres://postgres@127.0.0.1:${port}/`;
  let stopped = false;
  return {
    baseUrl,
    port,
    dir,
    async createDatabase(name = `gh_${randomBytes(6).toString('hex')}`) {
      const client = new pg.Client({ connectionString: `${baseUrl}postgres` });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return `${baseUrl}${name}`;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      spawnSync(
        process.getuid?.() === 0 ? 'runuser' : join(bin, 'pg_ctl'),
        process.getuid?.() === 0
          ? ['-u', 'postgres', '--', join(bin, 'pg_ctl'), '-D', data, '-m', 'immediate', '-w', 'stop']
          : ['-D', data, '-m', 'immediate', '-w', 'stop'],
        { stdio: 'ignore' },
      );
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
