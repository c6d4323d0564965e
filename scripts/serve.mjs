// `npm run serve`: builds the app when any source is newer than the build, then runs
// the Electron-free headless server with the given arguments.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'out', 'main', 'serve.js');

function newest(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newest(join(path, name))));
}

const stale =
  !existsSync(built) ||
  !existsSync(join(root, 'out', 'renderer', 'index.html')) ||
  Math.max(newest(join(root, 'src')), newest(join(root, 'electron.vite.config.ts'))) > statSync(built).mtimeMs;

if (stale) {
  const build = spawnSync('npx', ['electron-vite', 'build'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

// Same process (no wrapper in between): signals and the pid in endpoint.json are the server's own.
await import(pathToFileURL(built).href);
