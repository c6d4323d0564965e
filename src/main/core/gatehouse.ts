import type { Logger } from 'pino';
import { createAdminHandlers, type AdminHandlers } from './api/admin-handlers';
import { openDatabase, type Db } from './db/connection';
import { createAuditRepository } from './repositories/audit-repository';
import { createHostRepository } from './repositories/host-repository';
import { createIdempotencyRepository } from './repositories/idempotency-repository';
import { createSettingsRepository } from './repositories/settings-repository';
import { createTokenRepository } from './repositories/token-repository';
import { createSecretBox } from './security/secret-box';
import { createAuditService, type AuditService } from './services/audit-service';
import { systemClock, type Clock } from './services/clock';
import { createEnrolmentService, type EnrolmentService } from './services/enrolment-service';
import { EventBus } from './services/event-bus';
import { createHeartbeatRecorder, type HeartbeatRecorder } from './services/heartbeat-recorder';
import { createHostService, type HostService } from './services/host-service';
import type { LanEndpoint } from './services/join-links';
import type { SystemService } from './services/system-service';
import { createSettingsService, type SettingsService } from './services/settings-service';
import { createTokenService, type TokenService } from './services/token-service';

export interface GatehouseOptions {
  databaseFile: string;
  /** 32-byte key that seals re-showable secrets; kept outside the database. */
  secretKey: Buffer;
  clock?: Clock;
  logger?: Logger;
  /** better-sqlite3 binary for another ABI (Electron); omitted under Node. */
  nativeBinding?: string;
  /** Where hosts reach us; read lazily because ports are known only after listening. */
  endpoint?: () => LanEndpoint;
}

export interface Gatehouse {
  db: Db;
  events: EventBus;
  clock: Clock;
  tokens: TokenService;
  hosts: HostService;
  enrolment: EnrolmentService;
  audit: AuditService;
  settings: SettingsService;
  heartbeats: HeartbeatRecorder;
  handlers: AdminHandlers;
  setEndpoint(endpoint: LanEndpoint): void;
  /** The running process (headless or desktop) answers system.info and certificate.regenerate. */
  setSystem(system: SystemService): void;
  close(): void;
}

/**
 * The composition root of the core: opens the store and wires repositories into
 * services. Everything is created here and handed down; nothing is a module singleton,
 * so tests and the Electron shell each build their own.
 */
export function createGatehouse(options: GatehouseOptions): Gatehouse {
  const db = openDatabase(options.databaseFile, { nativeBinding: options.nativeBinding });
  const clock = options.clock ?? systemClock;
  const events = new EventBus();
  const secretBox = createSecretBox(options.secretKey);
  let endpoint: LanEndpoint = { lanUrl: 'http://localhost', tlsFingerprint: null };
  const endpointOf = options.endpoint ?? (() => endpoint);

  const tokenRepo = createTokenRepository(db);
  const hostRepo = createHostRepository(db);
  const audit = createAuditService({ audit: createAuditRepository(db), clock, events });
  const settings = createSettingsService({ db, settings: createSettingsRepository(db), audit, events });
  const heartbeats = createHeartbeatRecorder({ db, hosts: hostRepo });
  const tokens = createTokenService({
    db,
    tokens: tokenRepo,
    audit,
    settings,
    events,
    clock,
    secretBox,
    endpoint: endpointOf,
  });
  const hosts = createHostService({ db, hosts: hostRepo, audit, settings, events, clock, heartbeats });
  const enrolment = createEnrolmentService({
    db,
    tokens: tokenRepo,
    tokenService: tokens,
    hosts: hostRepo,
    idempotency: createIdempotencyRepository(db),
    audit,
    events,
    clock,
    secretBox,
    heartbeats,
  });
  let system: SystemService = {
    info: () => {
      throw new Error('no system service: call setSystem first');
    },
    regenerateCertificate: () => Promise.reject(new Error('no system service: call setSystem first')),
  };
  const handlers = createAdminHandlers({
    tokens,
    hosts,
    audit,
    settings,
    // Late-bound: the listeners that make up the system exist only after the core.
    system: { info: () => system.info(), regenerateCertificate: (actor) => system.regenerateCertificate(actor) },
  });

  return {
    db,
    events,
    clock,
    tokens,
    hosts,
    enrolment,
    audit,
    settings,
    heartbeats,
    handlers,
    setEndpoint(next) {
      endpoint = next;
    },
    setSystem(next) {
      system = next;
    },
    close() {
      heartbeats.flush();
      db.close();
    },
  };
}
