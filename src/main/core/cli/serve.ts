import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { DataDirBusyError, dataPaths, ensureDataDir, findAppRoot } from '../data-dir';
import { createRotatingLog } from '../log-file';
import { startHeadless, type Headless } from '../headless';
import { describeListenError, parseServeCommand, UsageError, type ServeOptions } from './serve-args';

/** The sentence to print for a start-up failure a person can fix, or undefined. */
function startupAdvice(error: unknown, options: ServeOptions): string | undefined {
  if (error instanceof DataDirBusyError) return error.message;
  const port = (error as { port?: number }).port;
  const flag = port === options.adminPort && port !== options.port ? '--admin-port' : '--port';
  return describeListenError(error, flag);
}

/**
 * `npm run serve -- --data-dir DIR …`: runs Gatehouse without Electron. Logs are JSON
 * lines on stdout; the sign-in link goes to stderr for the person at the terminal.
 * SIGTERM and SIGINT close both listeners and the store cleanly.
 */
export async function runServe(argv: string[], startDir: string): Promise<void> {
  let options: ServeOptions;
  try {
    const command = parseServeCommand(argv);
    if (command.help) {
      process.stdout.write(`${command.text}\n`);
      process.exit(0);
    }
    options = command.options;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  ensureDataDir(options.dataDir);
  const logFile = createRotatingLog(dataPaths(options.dataDir).log);
  // JSON lines on stdout (journald, docker) and in a bounded, rotated file in the data directory.
  const logger = pino(
    { name: 'gatehouse', level: process.env.GATEHOUSE_LOG_LEVEL ?? 'info' },
    pino.multistream([{ stream: process.stdout }, { stream: logFile }]),
  );
  const appRoot = findAppRoot(startDir);
  const { version } = JSON.parse(readFileSync(join(appRoot, 'package.json'), 'utf8')) as { version: string };
  let headless: Headless;
  try {
    headless = await startHeadless({ ...options, logger, appRoot, version });
  } catch (error) {
    const advice = startupAdvice(error, options);
    if (!advice) throw error;
    process.stderr.write(`gatehouse: ${advice}\n`);
    process.exit(1);
  }
  process.stderr.write(
    `Gatehouse is running. Admin UI: ${headless.endpoint.login_url}\n` +
      `  (the link works once, within a minute; later, sign in with the token in ${join(options.dataDir, 'admin-token')})\n` +
      `Hosts enrol at ${headless.endpoint.lan_url}\n` +
      (headless.endpoint.tls_fingerprint ? `TLS pin: sha256//${headless.endpoint.tls_fingerprint}\n` : ''),
  );

  const shutdown = (signal: string) => {
    logger.info({ signal }, 'shutting down');
    headless.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}
