import { spawnSync } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { createMetrics, metricsRouter, requestMetrics, type HostSnapshot } from '../../../src/main/core/metrics';

/** `promtool check metrics` (Prometheus' own linter) on the text; its output lists every problem. */
function promtool(text: string): { status: number | null; output: string } {
  const result = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (result.error) throw result.error;
  return { status: result.status, output: `${result.stdout}${result.stderr}`.trim() };
}

/** The value of one sample, `name{labels} value`, from the exposition text. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const snapshot: HostSnapshot = {
  byStatus: { PENDING: 3, APPROVED: 40, REJECTED: 2, DISABLED: 1 },
  byConnectivity: { ONLINE: 37, OFFLINE: 2, NEVER: 1 },
  pending: 3,
  oldestHeartbeatAgeSeconds: 42.5,
};

function exercised() {
  const metrics = createMetrics();
  metrics.setHostGauges(async () => snapshot);
  metrics.observeRequest('/api/admin/hosts/:id', 'get', 200, 0.004);
  metrics.observeRequest('/api/hosts/register', 'POST', 401, 0.02);
  metrics.observeCommit(0.002, 25);
  metrics.countRegistration('created');
  metrics.countRegistration('TOKEN_EXPIRED');
  metrics.countTokenUse();
  return metrics;
}

describe('metrics', () => {
  it('passes promtool check metrics with no problem reported', async () => {
    const text = await exercised().text();
    const result = promtool(text);
    console.log(
      `metrics text: ${text.length} bytes, ${text.split('\n').filter((l) => l.startsWith('# TYPE')).length} metrics`,
    );
    expect(result.output).toBe('');
    expect(result.status).toBe(0);
  });

  it('lets promtool find a badly named metric, so the check above can fail', () => {
    const result = promtool('# HELP requests Requests.\n# TYPE requests counter\nrequests 1\n');
    expect(result.output).toMatch(/counter metrics should have "_total" suffix/);
  });

  it('shows on each gauge what the collect function returns at scrape time', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    let current = snapshot;
    let reads = 0;
    metrics.setHostGauges(async () => {
      reads += 1;
      return current;
    });
    let text = await metrics.text();
    expect(sample(text, 'gatehouse_hosts{status="APPROVED"}')).toBe(40);
    expect(sample(text, 'gatehouse_hosts{status="PENDING"}')).toBe(3);
    expect(sample(text, 'gatehouse_hosts_by_connectivity{connectivity="OFFLINE"}')).toBe(2);
    expect(sample(text, 'gatehouse_pending_requests')).toBe(3);
    expect(sample(text, 'gatehouse_heartbeat_age_seconds')).toBe(42.5);
    expect(reads).toBe(1);

    current = {
      byStatus: { APPROVED: 1 },
      byConnectivity: { NEVER: 1 },
      pending: 0,
      oldestHeartbeatAgeSeconds: null,
    };
    text = await metrics.text();
    expect(sample(text, 'gatehouse_hosts{status="APPROVED"}')).toBe(1);
    expect(sample(text, 'gatehouse_hosts{status="PENDING"}')).toBe(0);
    expect(sample(text, 'gatehouse_hosts_by_connectivity{connectivity="ONLINE"}')).toBe(0);
    expect(sample(text, 'gatehouse_pending_requests')).toBe(0);
    expect(sample(text, 'gatehouse_heartbeat_age_seconds')).toBeNaN();
    expect(reads).toBe(2);
    expect(promtool(text).output).toBe('');
  });

  it('counts registrations by outcome and token uses', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    metrics.countRegistration('created');
    metrics.countRegistration('created');
    metrics.countRegistration('replayed');
    metrics.countRegistration('TOKEN_EXHAUSTED');
    for (let i = 0; i < 5; i++) metrics.countTokenUse();
    const text = await metrics.text();
    expect(sample(text, 'gatehouse_registrations_total{outcome="created"}')).toBe(2);
    expect(sample(text, 'gatehouse_registrations_total{outcome="replayed"}')).toBe(1);
    expect(sample(text, 'gatehouse_registrations_total{outcome="TOKEN_EXHAUSTED"}')).toBe(1);
    expect(sample(text, 'gatehouse_token_uses_total')).toBe(5);
  });

  it('records request and commit durations in histograms', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    metrics.observeRequest('/api/admin/hosts', 'get', 200, 0.003);
    metrics.observeRequest('/api/admin/hosts', 'GET', 200, 0.2);
    metrics.observeCommit(0.0007, 1);
    metrics.observeCommit(0.03, 300);
    const text = await metrics.text();
    const route = 'route="/api/admin/hosts",method="GET",status="200"';
    expect(sample(text, `gatehouse_http_request_duration_seconds_count{${route}}`)).toBe(2);
    expect(sample(text, `gatehouse_http_request_duration_seconds_bucket{le="0.005",${route}}`)).toBe(1);
    expect(sample(text, 'gatehouse_store_commit_duration_seconds_count')).toBe(2);
    expect(sample(text, 'gatehouse_store_commit_batch_size_sum')).toBe(301);
    expect(sample(text, 'gatehouse_store_commit_batch_size_bucket{le="250"}')).toBe(1);
  });

  it('keeps each instance in its own registry', async () => {
    const a = createMetrics();
    const b = createMetrics();
    a.countTokenUse();
    expect(sample(await a.text(), 'gatehouse_token_uses_total')).toBe(1);
    expect(sample(await b.text(), 'gatehouse_token_uses_total')).toBe(0);
    expect(a.registry).not.toBe(b.registry);
  });

  it('serves GET /metrics over HTTP with the Prometheus content type, and times requests by route pattern', async () => {
    const metrics = createMetrics();
    metrics.setHostGauges(async () => snapshot);
    const app = express();
    app.use(requestMetrics(metrics));
    app.get('/api/admin/hosts/:id', (_req, res) => void res.status(404).json({}));
    app.use(metricsRouter(metrics));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      await fetch(`${base}/api/admin/hosts/0b6c4f9e-1111-4222-8333-444455556666`);
      await fetch(`${base}/nowhere`);
      const response = await fetch(`${base}/metrics`);
      const text = await response.text();
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(
        sample(
          text,
          'gatehouse_http_request_duration_seconds_count{route="/api/admin/hosts/:id",method="GET",status="404"}',
        ),
      ).toBe(1);
      expect(
        sample(text, 'gatehouse_http_request_duration_seconds_count{route="unmatched",method="GET",status="404"}'),
      ).toBe(1);
      expect(text).not.toContain('0b6c4f9e');
      expect(sample(text, 'gatehouse_hosts{status="APPROVED"}')).toBe(40);
      expect(promtool(text).output).toBe('');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('registration counters of a running core', () => {
  it('count a registration once, a replay as replayed, and only this server’s own answers', async () => {
    const { makeGatehouse, registration } = await import('../../helpers/gatehouse');
    const g = await makeGatehouse();
    try {
      const t = await g.tokens.create({ expires_in_hours: 1, max_uses: 0 }, 'admin');
      const body = registration(t.token) as Parameters<typeof g.enrolment.register>[0];
      await g.enrolment.register(body, '10.0.0.1', 'key-00000001');
      await g.enrolment.register(body, '10.0.0.1', 'key-00000001');
      // An event that committed on another server arrives on the bus: it is not this server's registration.
      g.events.publish({ topic: 'hosts', action: 'registered', ids: ['elsewhere'] });
      const text = await g.metrics.text();
      expect(text).toMatch(/^gatehouse_registrations_total\{outcome="created"\} 1$/m);
      expect(text).toMatch(/^gatehouse_registrations_total\{outcome="replayed"\} 1$/m);
      expect(text).toMatch(/^gatehouse_token_uses_total 1$/m);
    } finally {
      await g.dispose();
    }
  });
});
