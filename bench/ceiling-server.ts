// A bare server for the bench's ceilings, run in its own process like Gatehouse:
//   http     node:http answering a JSON echo
//   express  Express with express.json() answering a JSON echo
//   https    node:https with Gatehouse's certificate (argv[3] = data dir), 204 to every request
// Prints the port on stdout once listening.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { join } from 'node:path';
import express from 'express';

const mode = process.argv[2];
const echo = (body: string) => JSON.stringify({ echo: body.length });

function listen(server: ReturnType<typeof createServer>) {
  server.keepAliveTimeout = 5_000;
  server.listen(0, '127.0.0.1', () => {
    const address = server.address() as { port: number };
    process.stdout.write(`${address.port}\n`);
  });
}

if (mode === 'http') {
  listen(
    createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c));
      req.on('end', () => {
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(echo(body));
      });
    }),
  );
} else if (mode === 'express') {
  const app = express();
  app.use(express.json());
  app.post('/echo', (req, res) => {
    res.json({ echo: JSON.stringify(req.body).length });
  });
  listen(createServer(app));
} else if (mode === 'https') {
  const dir = process.argv[3]!;
  const server = createHttpsServer(
    {
      key: readFileSync(join(dir, 'tls-key.pem')),
      cert: readFileSync(join(dir, 'tls-cert.pem')),
      minVersion: 'TLSv1.2',
    },
    (_req, res) => res.writeHead(204).end(),
  );
  listen(server as unknown as ReturnType<typeof createServer>);
} else {
  process.stderr.write('usage: ceiling-server.ts http|express|https [data-dir]\n');
  process.exit(2);
}
