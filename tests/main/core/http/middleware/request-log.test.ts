import express from 'express';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { listen, close, portOf } from '../../../../../src/main/core/http/server';
import { requestLog } from '../../../../../src/main/core/http/middleware/request-log';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({}, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { lines, logger };
}

describe('the request log', () => {
  it('summarises successful heartbeats instead of a line each, and still logs their failures', async () => {
    const { lines, logger } = capture();
    const app = express();
    app.use(requestLog(logger, { summarised: ['/beat'], summaryMs: 200 }));
    app.post('/beat', (req, res) => void res.status(req.query.bad ? 401 : 204).end());
    app.get('/other', (_req, res) => void res.json({}));
    const server = await listen(app, { host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${portOf(server)}`;
    for (let i = 0; i < 50; i++) await fetch(`${base}/beat`, { method: 'POST' });
    await fetch(`${base}/beat?bad=1&token=secret-in-query`, { method: 'POST' });
    await fetch(`${base}/other`);
    await new Promise((r) => setTimeout(r, 300));
    await close(server);
    const requests = lines.filter((l) => l.msg === 'request');
    expect(requests.map((l) => [l.path, l.status])).toEqual([
      ['/beat', 401],
      ['/other', 200],
    ]);
    const summaries = lines.filter((l) => l.msg === 'requests answered since the last summary');
    const beats = summaries.map((l) => (l.requests as Record<string, number>)['POST /beat 204'] ?? 0);
    expect(beats.reduce((a, b) => a + b, 0)).toBe(50);
    expect(JSON.stringify(lines)).not.toContain('secret-in-query');
  });
});
