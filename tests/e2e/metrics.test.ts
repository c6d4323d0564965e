import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registration } from '../helpers/gatehouse';
import { removeDir, startServeProcess, type ServeProcess } from '../helpers/serve-process';

let serve: ServeProcess;
let readOnly: string;

const scrape = async (bearer = readOnly) => {
  const res = await fetch(`${serve.endpoint.admin_url}/metrics`, { headers: { Authorization: `Bearer ${bearer}` } });
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
};

/** One sample's value, e.g. `gatehouse_hosts{status="PENDING"}`. */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  if (!line) throw new Error(`no sample ${series} in the scrape`);
  return Number(line.slice(series.length + 1));
}

function promtool(text: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c) => (output += c));
    child.stderr.on('data', (c) => (output += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
    child.stdin.end(text);
  });
}

beforeAll(async () => {
  serve = await startServeProcess(['--http']);
  const res = await serve.admin('/api/admin/credentials', { json: { name: 'prometheus', scope: 'read-only' } });
  expect(res.status).toBe(201);
  readOnly = ((await res.json()) as { credential: string }).credential;
}, 120_000);
afterAll(async () => {
  await serve.stop();
  removeDir(serve.dir);
});

describe('/metrics on a running server', () => {
  it('serves a scrape with a read-only credential that promtool finds no problem in', async () => {
    const { status, type, text } = await scrape();
    expect(status).toBe(200);
    expect(type).toContain('text/plain');
    const check = await promtool(text);
    expect(check.output).toBe('');
    expect(check.code).toBe(0);
  });

  it('refuses a scrape without a valid credential', async () => {
    expect((await scrape('gha_nobody')).status).toBe(401);
  });

  it('moves the host gauges with a registration and an approval', async () => {
    const before = (await scrape()).text;
    const pending0 = sample(before, 'gatehouse_hosts{status="PENDING"}');
    const approved0 = sample(before, 'gatehouse_hosts{status="APPROVED"}');
    const queue0 = sample(before, 'gatehouse_pending_requests');

    const { token } = (await (
      await serve.admin('/api/admin/registration-tokens', { json: { expires_in_hours: 1, max_uses: 1 } })
    ).json()) as { token: string };
    const registered = await fetch(`${serve.endpoint.lan_url}/api/hosts/register`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(registration(token)),
    });
    expect(registered.status).toBe(201);
    const { host_id } = (await registered.json()) as { host_id: string };

    const afterRegistration = (await scrape()).text;
    expect(sample(afterRegistration, 'gatehouse_hosts{status="PENDING"}')).toBe(pending0 + 1);
    expect(sample(afterRegistration, 'gatehouse_pending_requests')).toBe(queue0 + 1);
    expect(sample(afterRegistration, 'gatehouse_registrations_total{outcome="created"}')).toBeGreaterThanOrEqual(1);

    expect((await serve.admin(`/api/admin/hosts/${host_id}/approve`, { method: 'POST', json: {} })).status).toBe(200);
    const afterApproval = (await scrape()).text;
    expect(sample(afterApproval, 'gatehouse_hosts{status="PENDING"}')).toBe(pending0);
    expect(sample(afterApproval, 'gatehouse_hosts{status="APPROVED"}')).toBe(approved0 + 1);
    expect(sample(afterApproval, 'gatehouse_pending_requests')).toBe(queue0);
    expect((await promtool(afterApproval)).code).toBe(0);
  });
});
