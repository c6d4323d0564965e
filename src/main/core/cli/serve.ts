import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { findAppRoot } from '../data-dir';
import { startHeadless } from '../headless';
import { parseServeArgs, UsageError } from './serve-args';

/**
 * `npm run serve -- --data-dir DIR …`: runs Gatehouse without Electron. Logs are JSON
 * lines on stdout; SIGTERM and SIGINT close both listeners and the store cleanly.
 */
export async function runServe(argv: string[], startDir: string): Promise<void> {
  let options;
  try {
    options = parseServeArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  const logger = pino({ name: 'gatehouse', level: process.env.GATEHOUSE_LOG_LEVEL ?? 'info' });
  const appRoot = findAppRoot(startDir);
  const { version } = JSON.parse(readFileSync(join(appRoot, 'package.json'), 'utf8')) as { version: string };
  const headless = await startHeadless({ ...options, logger, appRoot, version });

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
