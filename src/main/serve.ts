// Entry of the headless build (`out/main/serve.js`): no Electron anywhere below here.
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runServe } from './core/cli/serve';

runServe(process.argv.slice(2), dirname(fileURLToPath(import.meta.url))).catch((error: unknown) => {
  process.stderr.write(`gatehouse: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
