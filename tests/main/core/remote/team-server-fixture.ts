import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHeadless, type Headless } from '../../../../src/main/core/headless';
import type { TeamServerTarget } from '../../../../src/main/core/remote/remote-admin';
import type { Scope } from '../../../../src/shared/api/scopes';
import { APP_ROOT, silentLogger } from '../../../helpers/gatehouse';

/** A headless Gatehouse whose admin listener speaks HTTPS (`--admin-bind`), as a team server does. */
export interface TlsTeamServer {
  dir: string;
  headless: Headless;
  url: string;
  pin: string;
  /** A named credential of `scope`, as the desktop would be given. */
  target(scope?: Scope): Promise<TeamServerTarget>;
  restart(): Promise<void>;
  dispose(): Promise<void>;
}

export async function startTlsTeamServer(): Promise<TlsTeamServer> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-team-'));
  const start = (adminPort: number) =>
    startHeadless({
      dataDir: dir,
      port: 0,
      adminPort,
      bind: '127.0.0.1',
      adminBind: '127.0.0.1',
      http: false,
      logger: silentLogger,
      appRoot: APP_ROOT,
      version: 'test',
      failureLimit: 1000,
    });
  let headless = await start(0);
  const url = headless.endpoint.admin_url;
  const pin = headless.endpoint.tls_fingerprint!;
  const server: TlsTeamServer = {
    dir,
    get headless() {
      return headless;
    },
    url,
    pin,
    async target(scope = 'admin') {
      const created = await headless.gatehouse.handlers['credentials.create'](
        { name: `desktop-${scope}-${Math.random().toString(36).slice(2, 8)}`, scope },
        { actor: 'test', scope: 'admin' },
      );
      return { url, pin, credential: created.credential };
    },
    async restart() {
      await headless.stop();
      headless = await start(Number(new URL(url).port));
    },
    async dispose() {
      await headless.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}
