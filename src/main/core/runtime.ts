import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Settings, SystemInfo } from '../../shared/domain';
import { dataPaths, ensureDataDir, lockDataDir, tightenDataDir, type DataPaths } from './data-dir';
import { createGatehouse, type Gatehouse } from './gatehouse';
import type { JoinAssets } from './http/lan/join-routes';
import { allLanAddresses } from './lan-address';
import { createSystemService, startLanListener, type LanListener } from './lan-listener';
import type { Clock } from './services/clock';
import { startWebhookDelivery } from './services/webhook-delivery';
import type { LanEndpoint } from './services/join-links';
import type { Store } from './store/store';

export interface RuntimeOptions {
  dataDir: string;
  logger: Logger;
  version: string;
  /** Where join.sh and the join page live (`resources/`, or the packaged app's copy). */
  joinAssetsDir: string;
  /** The sealing key and where it lives: a 0600 file headless, the OS keychain on the desktop. */
  secretKey: (paths: DataPaths) => { key: Buffer; storage: SystemInfo['key_storage'] };
  /** Where the LAN listener binds: fixed (headless flags) or from the saved settings (desktop). */
  lan: LanOptions | ((saved: Settings) => LanOptions);
  /** Team mode's shared store; SQLite in the data directory otherwise. */
  store?: Store;
  /**
   * Team mode: opens the shared store once the data directory is locked and the sealing
   * key is loaded (the store checks every server holds the same key). Wins over `store`.
   */
  openStore?: (secretKey: Buffer) => Promise<Store>;
  clock?: Clock;
  nativeBinding?: string;
  /** Refused attempts per source address per minute before 429. */
  failureLimit?: number;
  heartbeatFlushMs?: number;
  /** True when saved LAN settings differ from what is running (desktop only). */
  restartRequired?: () => boolean;
  onCertificateChanged?: (endpoint: LanEndpoint) => void;
}

export interface LanOptions {
  bind: string;
  port: number;
  http: boolean;
  advertiseUrl?: string | null;
  /** The operator's certificate and key (`--tls-cert`/`--tls-key`) instead of the data directory's. */
  tlsFiles?: { cert: string; key: string };
}

export interface Runtime {
  gatehouse: Gatehouse;
  lan: LanListener;
  paths: DataPaths;
  stop(): Promise<void>;
}

/** join.sh and the join page, read once. */
export function readJoinAssets(dir: string): JoinAssets {
  const read = (name: string) => readFileSync(join(dir, name), 'utf8');
  return { script: read('join.sh'), page: read('join.html'), pageScript: read('join.js') };
}

/**
 * Runs `job` every `ms`; a failure (a busy or full store, say) is logged and the next
 * run tries again. Nothing that runs in the background can end the process.
 */
function every(ms: number, logger: Logger, name: string, job: () => Promise<unknown>): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    job()
      .catch((error: unknown) => logger.warn({ err: error, job: name }, 'background job failed; retrying next time'))
      .finally(() => (running = false));
  }, ms);
  timer.unref();
  return () => clearInterval(timer);
}

/** Heartbeat flushes and the sweeps: limiter entries, idempotency records, sealed copies, stale hosts. */
export function startBackgroundJobs(
  gatehouse: Gatehouse,
  lan: LanListener,
  logger: Logger,
  heartbeatFlushMs = 5_000,
): () => void {
  const stops = [
    every(heartbeatFlushMs, logger, 'heartbeat-flush', () => gatehouse.heartbeats.flush()),
    every(60_000, logger, 'sweep', async () => {
      lan.limiter.sweep();
      await gatehouse.enrolment.sweep();
    }),
    // Ephemeral hosts offline past their token's limit, and hosts silent past the site's limit.
    every(60_000, logger, 'stale-hosts', async () => {
      const swept = await gatehouse.hosts.sweepStale();
      if (swept.deleted || swept.disabled) logger.info(swept, 'stale hosts swept');
    }),
    // Webhook deliveries queued after each commit, sent and retried from the store.
    startWebhookDelivery(gatehouse, logger),
  ];
  return () => stops.forEach((stop) => stop());
}

/**
 * The one start-up path both shells use: data directory (locked, 0700/0600), core,
 * LAN listener, system service, background jobs. `stop` undoes them in reverse; a
 * failure part-way undoes what had started and rethrows with its cause.
 */
export async function startRuntime(options: RuntimeOptions): Promise<Runtime> {
  const { logger } = options;
  ensureDataDir(options.dataDir);
  const paths = dataPaths(options.dataDir);
  const lock = lockDataDir(paths);
  const undo: (() => Promise<void> | void)[] = [() => lock.release()];
  const stop = async () => {
    for (const step of undo.splice(0).reverse()) await step();
  };
  try {
    tightenDataDir(paths);
    const secret = options.secretKey(paths);
    const store = options.openStore ? await options.openStore(secret.key) : options.store;
    const gatehouse = await createGatehouse({
      store,
      databaseFile: paths.database,
      secretKey: secret.key,
      clock: options.clock,
      logger,
      nativeBinding: options.nativeBinding,
    }).catch(async (error: unknown) => {
      if (options.openStore) await store?.close();
      throw error;
    });
    undo.push(() => gatehouse.close());
    const lan = await startLanListener({
      gatehouse,
      logger,
      version: options.version,
      assets: readJoinAssets(options.joinAssetsDir),
      dataDir: paths.dir,
      ...(typeof options.lan === 'function' ? options.lan(gatehouse.settings.get()) : options.lan),
      failureLimit: options.failureLimit,
    });
    undo.push(() => lan.close());
    gatehouse.setSystem(
      createSystemService({
        gatehouse,
        lan,
        version: options.version,
        keyStorage: secret.storage,
        addresses: allLanAddresses,
        restartRequired: options.restartRequired ?? (() => false),
        lanSource: typeof options.lan === 'function' ? 'settings' : 'command_line',
        onCertificateChanged: options.onCertificateChanged,
      }),
    );
    undo.push(startBackgroundJobs(gatehouse, lan, logger, options.heartbeatFlushMs));
    return { gatehouse, lan, paths, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
