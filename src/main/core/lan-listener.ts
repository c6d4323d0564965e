import type { Server } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Logger } from 'pino';
import type { Gatehouse } from './gatehouse';
import { createLanApp } from './http/lan/lan-app';
import type { JoinAssets } from './http/lan/join-routes';
import { close, listen, portOf, urlOf } from './http/server';
import { isWildcard, primaryLanAddress } from './lan-address';
import { createFailureLimiter, type FailureLimiter } from './security/failure-limiter';
import { loadCertificateFiles, loadOrCreateCertificate } from './security/tls-certificate';
import type { LanEndpoint } from './services/join-links';
import type { SystemService } from './services/system-service';
import { ApiError } from '../../shared/api/errors';
import type { SystemInfo } from '../../shared/domain';

export interface LanListenerOptions {
  /** The operator's certificate and key (`--tls-cert`/`--tls-key`) instead of the data directory's. */
  tlsFiles?: { cert: string; key: string };
  gatehouse: Gatehouse;
  logger: Logger;
  version: string;
  assets: JoinAssets;
  dataDir: string;
  bind: string;
  port: number;
  http: boolean;
  advertiseUrl?: string | null;
  /** Refused attempts per source address per minute before 429. */
  failureLimit?: number;
}

export interface LanListener {
  endpoint: LanEndpoint;
  port: number;
  limiter: FailureLimiter;
  /** A new key pair, served from the next handshake on; no restart, no dropped connection. */
  regenerateCertificate(): Promise<LanEndpoint>;
  close(): Promise<void>;
}

/**
 * The host-facing listener, shared by the headless server and the desktop shell:
 * HTTPS with the data directory's certificate unless `http`, and the endpoint
 * (URL and pin) handed to the core for join links.
 */
export async function startLanListener(options: LanListenerOptions): Promise<LanListener> {
  const { gatehouse } = options;
  const tls = options.http
    ? undefined
    : options.tlsFiles
      ? loadCertificateFiles(options.tlsFiles.cert, options.tlsFiles.key)
      : await loadOrCreateCertificate(options.dataDir, { logger: options.logger });
  const limiter = createFailureLimiter({ limit: options.failureLimit ?? 10, windowMs: 60_000, clock: gatehouse.clock });
  let endpoint: LanEndpoint = { lanUrl: '', tlsFingerprint: tls?.fingerprint ?? null };
  const app = createLanApp({
    enrolment: gatehouse.enrolment,
    limiter,
    metrics: gatehouse.metrics,
    logger: options.logger.child({ listener: 'lan' }),
    version: options.version,
    endpoint: () => endpoint,
    assets: options.assets,
  });
  const server: Server = await listen(app, { host: options.bind, port: options.port, tls });
  const port = portOf(server);
  const host = isWildcard(options.bind) ? primaryLanAddress() : options.bind;
  endpoint = {
    lanUrl: options.advertiseUrl ?? urlOf(tls ? 'https' : 'http', host, port),
    tlsFingerprint: endpoint.tlsFingerprint,
  };
  gatehouse.setEndpoint(endpoint);

  return {
    get endpoint() {
      return endpoint;
    },
    port,
    limiter,
    async regenerateCertificate() {
      if (!tls) throw new Error('the LAN listener runs without TLS (--http): there is no certificate');
      if (options.tlsFiles) throw new Error('the certificate was given with --tls-cert; replace those files instead');
      const fresh = await loadOrCreateCertificate(options.dataDir, { regenerate: true, logger: options.logger });
      (server as HttpsServer).setSecureContext({ key: fresh.key, cert: fresh.cert });
      endpoint = { ...endpoint, tlsFingerprint: fresh.fingerprint };
      gatehouse.setEndpoint(endpoint);
      return endpoint;
    },
    close: () => close(server),
  };
}

/** system.info and certificate.regenerate for a running process. */
export function createSystemService(deps: {
  gatehouse: Gatehouse;
  lan: LanListener;
  version: string;
  keyStorage: SystemInfo['key_storage'];
  addresses: () => string[];
  /** True when saved LAN settings differ from what is running (desktop only; headless obeys its flags). */
  restartRequired: () => boolean;
  lanSource: SystemInfo['lan_source'];
  onCertificateChanged?: (endpoint: LanEndpoint) => void;
}): SystemService {
  const info = (): SystemInfo => ({
    version: deps.version,
    lan_url: deps.lan.endpoint.lanUrl,
    tls_fingerprint: deps.lan.endpoint.tlsFingerprint,
    key_storage: deps.keyStorage,
    addresses: deps.addresses(),
    restart_required: deps.restartRequired(),
    lan_source: deps.lanSource,
  });
  return {
    info,
    async regenerateCertificate(actor) {
      const previous = deps.lan.endpoint.tlsFingerprint;
      let endpoint: LanEndpoint;
      try {
        endpoint = await deps.lan.regenerateCertificate();
      } catch (error) {
        throw new ApiError('CONFLICT', (error as Error).message);
      }
      await deps.gatehouse.store.write(async (tx) => {
        await deps.gatehouse.audit.record(tx, {
          actor,
          action: 'certificate.regenerated',
          targetType: 'certificate',
          detail: { previous_fingerprint: previous, fingerprint: endpoint.tlsFingerprint },
        });
        tx.emit({ topic: 'settings', action: 'certificate.regenerated' });
      });
      deps.onCertificateChanged?.(endpoint);
      return info();
    },
  };
}
