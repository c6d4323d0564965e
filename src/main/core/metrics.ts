import { Router, type RequestHandler } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ErrorCode } from '../../shared/api/errors';
import { HOST_STATUSES, type Connectivity } from '../../shared/domain';

/** How a registration ended: a new request, the answer to a repeated Idempotency-Key, or a refusal code. */
export type RegistrationOutcome = 'created' | 'replayed' | ErrorCode;

/** What the host gauges show, read from the store at scrape time. */
export interface HostSnapshot {
  byStatus: Record<string, number>;
  byConnectivity: Record<string, number>;
  pending: number;
  /** Seconds since the least recent heartbeat of an ONLINE host; null when none is online. */
  oldestHeartbeatAgeSeconds: number | null;
}

export interface Metrics {
  registry: Registry;
  /** `route` is the route's pattern (`/api/admin/hosts/:id`), never the raw path: ids would explode the series. */
  observeRequest(route: string, method: string, status: number, seconds: number): void;
  observeCommit(seconds: number, batchSize: number): void;
  countRegistration(outcome: RegistrationOutcome): void;
  countTokenUse(): void;
  /** Where the host gauges come from; called once per scrape, however many gauges ask. */
  setHostGauges(collect: () => Promise<HostSnapshot>): void;
  /** The Prometheus text exposition of everything in `registry`. */
  text(): Promise<string>;
  contentType: string;
}

const CONNECTIVITIES: readonly Connectivity[] = ['ONLINE', 'OFFLINE', 'NEVER'];

const MISNAMED_DEFAULT_METRICS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

/**
 * Gatehouse's Prometheus metrics, in a registry of their own: each call makes a fresh
 * Registry with its own process metrics, so tests and several cores in one process never
 * share (or double-register) a global. Names carry the `gatehouse_` prefix and their unit.
 */
export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) {
    collectDefaultMetrics({ register: registry });
    // Gauges named like counters (prom-client's naming); promtool flags them, and the
    // per-type `nodejs_active_handles` / `_requests` / `_resources` carry the same numbers.
    for (const name of MISNAMED_DEFAULT_METRICS) registry.removeSingleMetric(name);
  }

  const requestDuration = new Histogram({
    name: 'gatehouse_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by route pattern, method and status.',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const commitDuration = new Histogram({
    name: 'gatehouse_store_commit_duration_seconds',
    help: 'Time a store transaction took to commit.',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const commitBatch = new Histogram({
    name: 'gatehouse_store_commit_batch_size',
    help: 'Writes carried by one store commit (coalesced heartbeats, bulk decisions).',
    buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 10000],
    registers: [registry],
  });
  const registrations = new Counter({
    name: 'gatehouse_registrations_total',
    help: 'Host registrations, by outcome: created, replayed (same Idempotency-Key) or the refusal code.',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const tokenUses = new Counter({
    name: 'gatehouse_token_uses_total',
    help: 'Registration token uses consumed.',
    registers: [registry],
  });

  let collectHosts: (() => Promise<HostSnapshot>) | null = null;
  let inflight: Promise<HostSnapshot | null> | null = null;
  /** One store read per scrape: the four gauges collect concurrently and share it. */
  const snapshot = (): Promise<HostSnapshot | null> => {
    if (!collectHosts) return Promise.resolve(null);
    const read = collectHosts;
    inflight ??= read().finally(() => {
      inflight = null;
    });
    return inflight;
  };

  new Gauge({
    name: 'gatehouse_hosts',
    help: 'Hosts by status.',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      const snap = await snapshot();
      this.reset();
      for (const status of HOST_STATUSES) this.set({ status }, snap?.byStatus[status] ?? 0);
      for (const [status, n] of Object.entries(snap?.byStatus ?? {})) this.set({ status }, n);
    },
  });
  new Gauge({
    name: 'gatehouse_hosts_by_connectivity',
    help: 'Hosts by connectivity (ONLINE, OFFLINE, NEVER heard from).',
    labelNames: ['connectivity'] as const,
    registers: [registry],
    async collect() {
      const snap = await snapshot();
      this.reset();
      for (const connectivity of CONNECTIVITIES) this.set({ connectivity }, snap?.byConnectivity[connectivity] ?? 0);
      for (const [connectivity, n] of Object.entries(snap?.byConnectivity ?? {})) this.set({ connectivity }, n);
    },
  });
  new Gauge({
    name: 'gatehouse_pending_requests',
    help: 'Registration requests waiting in the approval queue.',
    registers: [registry],
    async collect() {
      this.set((await snapshot())?.pending ?? 0);
    },
  });
  new Gauge({
    name: 'gatehouse_heartbeat_age_seconds',
    help: 'Seconds since the least recent heartbeat among ONLINE hosts; NaN when no host is online.',
    registers: [registry],
    async collect() {
      this.set((await snapshot())?.oldestHeartbeatAgeSeconds ?? Number.NaN);
    },
  });

  return {
    registry,
    observeRequest(route, method, status, seconds) {
      requestDuration.observe({ route, method: method.toUpperCase(), status: String(status) }, seconds);
    },
    observeCommit(seconds, batchSize) {
      commitDuration.observe(seconds);
      commitBatch.observe(batchSize);
    },
    countRegistration(outcome) {
      registrations.inc({ outcome });
    },
    countTokenUse() {
      tokenUses.inc();
    },
    setHostGauges(collect) {
      collectHosts = collect;
    },
    text: () => registry.metrics(),
    contentType: registry.contentType,
  };
}

/**
 * Times every request that passes and records it under its matched route pattern
 * (`unmatched` when no route took it), so raw paths with ids never become labels.
 */
export function requestMetrics(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const routePath: unknown = (req.route as { path?: unknown } | undefined)?.path;
      const route = typeof routePath === 'string' ? `${req.baseUrl}${routePath}` : 'unmatched';
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.observeRequest(route, req.method, res.statusCode, seconds);
    });
    next();
  };
}

/** `GET /metrics` in the Prometheus text format. Whoever mounts it decides who may read it. */
export function metricsRouter(metrics: Metrics): Router {
  const router = Router();
  router.get('/metrics', async (_req, res, next) => {
    try {
      const body = await metrics.text();
      res.status(200).setHeader('Content-Type', metrics.contentType).setHeader('Cache-Control', 'no-store').send(body);
    } catch (error) {
      next(error);
    }
  });
  return router;
}
