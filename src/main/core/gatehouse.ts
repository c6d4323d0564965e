import type { Logger } from 'pino';
import { createMetrics, type Metrics } from './metrics';
import { createAdminHandlers, type AdminHandlers } from './api/admin-handlers';
import { createSecretBox } from './security/secret-box';
import { createAuditService, type AuditService } from './services/audit-service';
import { systemClock, type Clock } from './services/clock';
import { createCredentialCache } from './services/credential-cache';
import { createCredentialService, type CredentialService } from './services/credential-service';
import { createInventoryService } from './services/inventory-service';
import { createApprovalRuleService } from './services/approval-rule-service';
import { createEnrolmentService, type EnrolmentService } from './services/enrolment-service';
import { createEnrolmentSheet } from './services/enrolment-sheet';
import { createExpectedHostService } from './services/expected-host-service';
import { EventBus } from './services/event-bus';
import { createHeartbeatRecorder, type HeartbeatRecorder } from './services/heartbeat-recorder';
import { createHostService, type HostService } from './services/host-service';
import type { LanEndpoint } from './services/join-links';
import type { SystemService } from './services/system-service';
import { createSettingsService, type SettingsService } from './services/settings-service';
import { createTokenService, type TokenService } from './services/token-service';
import { createMailService, type MailService } from './services/mail-service';
import { createWebhookService, type WebhookService } from './services/webhook-service';
import { openSqliteStore } from './store/sqlite-store';
import type { Store } from './store/store';

export interface GatehouseOptions {
  /** The store to use; without one, a SQLite store in `databaseFile`. */
  store?: Store;
  databaseFile?: string;
  /** 32-byte key that seals re-showable secrets; kept outside the database. */
  secretKey: Buffer;
  clock?: Clock;
  logger?: Logger;
  /** better-sqlite3 binary for another ABI (Electron); omitted under Node. */
  nativeBinding?: string;
  /** Where hosts reach us; read lazily because ports are known only after listening. */
  endpoint?: () => LanEndpoint;
  /** Node's process metrics in /metrics (off for cores that share a process in tests). */
  processMetrics?: boolean;
}

export interface Gatehouse {
  store: Store;
  events: EventBus;
  clock: Clock;
  tokens: TokenService;
  hosts: HostService;
  enrolment: EnrolmentService;
  audit: AuditService;
  settings: SettingsService;
  heartbeats: HeartbeatRecorder;
  credentials: CredentialService;
  /** Signed webhooks and their delivery queue (sent by startWebhookDelivery). */
  webhooks: WebhookService;
  mail: MailService;
  metrics: Metrics;
  handlers: AdminHandlers;
  setEndpoint(endpoint: LanEndpoint): void;
  /** The running process (headless or desktop) answers system.info and certificate.regenerate. */
  setSystem(system: SystemService): void;
  close(): Promise<void>;
}

/**
 * The composition root of the core: opens the store and wires services onto it.
 * Everything is created here and handed down; nothing is a module singleton, so tests
 * and both shells each build their own. Events reach the bus only after the commit
 * that made them true, and a listener's error never reaches the service that wrote.
 */
export async function createGatehouse(options: GatehouseOptions): Promise<Gatehouse> {
  const store = options.store ?? openSqliteStore(requireFile(options.databaseFile), options);
  const clock = options.clock ?? systemClock;
  const events = new EventBus((error) => options.logger?.error({ err: error }, 'event listener failed'));
  const credentials = createCredentialCache();
  store.onCommit((committed) => {
    for (const event of committed) {
      // The store names every host whose status or credential a commit changed.
      if (event.topic === 'hosts' && event.action === 'credentials_changed') {
        for (const id of event.ids ?? []) credentials.invalidate(id);
      }
      events.publish(event);
    }
  });
  const metrics = createMetrics({ defaultMetrics: options.processMetrics ?? true });
  store.onBatch((stats) => metrics.observeCommit(stats.seconds, stats.units));
  const secretBox = createSecretBox(options.secretKey);
  let endpoint: LanEndpoint = { lanUrl: 'http://localhost', tlsFingerprint: null };
  const endpointOf = options.endpoint ?? (() => endpoint);

  const audit = createAuditService({ store, clock });
  const settings = createSettingsService({ store, audit });
  await settings.reload();
  // Another server sharing the store (team mode) changed them: read them again.
  events.subscribe((event) => {
    if (event.topic === 'settings') void settings.reload().catch(() => {});
  });
  const heartbeats = createHeartbeatRecorder({ store });
  const tokens = createTokenService({ store, audit, settings, clock, secretBox, endpoint: endpointOf });
  const expected = createExpectedHostService({ store, audit, clock });
  const rules = createApprovalRuleService({ store, audit, clock });
  const hosts = createHostService({ store, audit, settings, clock, heartbeats, expected });
  const enrolment = createEnrolmentService({
    store,
    tokenService: tokens,
    audit,
    clock,
    secretBox,
    heartbeats,
    credentials,
    expected,
    rules,
    metrics,
  });
  let system: SystemService | undefined;
  const running = (): SystemService => {
    if (!system) throw new Error('no system service: call setSystem first');
    return system;
  };
  metrics.setHostGauges(() => hosts.snapshot());
  const credentialService = createCredentialService({ store, audit, clock });
  const webhooks = createWebhookService({ store, audit, clock, secretBox, settings, logger: options.logger });
  const mail = createMailService({ store, audit, secretBox, tokens, webhooks });
  const handlers = createAdminHandlers({
    tokens,
    hosts,
    audit,
    settings,
    credentials: credentialService,
    inventory: createInventoryService({ hosts }),
    expected,
    rules,
    webhooks,
    mail,
    sheet: createEnrolmentSheet({ store, audit, clock, settings, secretBox, tokens, endpoint: endpointOf }),
    // Late-bound: the listeners that make up the system exist only after the core.
    system: { info: () => running().info(), regenerateCertificate: (actor) => running().regenerateCertificate(actor) },
  });

  return {
    store,
    events,
    clock,
    tokens,
    hosts,
    enrolment,
    audit,
    settings,
    heartbeats,
    credentials: credentialService,
    webhooks,
    mail,
    metrics,
    handlers,
    setEndpoint(next) {
      endpoint = next;
    },
    setSystem(next) {
      system = next;
    },
    async close() {
      await heartbeats
        .flush()
        .catch((error: unknown) => options.logger?.warn({ err: error }, 'last heartbeat flush failed'));
      await store.close();
    },
  };
}

function requireFile(file: string | undefined): string {
  if (!file) throw new Error('createGatehouse needs a store or a databaseFile');
  return file;
}
