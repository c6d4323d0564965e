#!/usr/bin/env node
// `npx gatehouse …` / `npm run gatehouse -- …`: in a source checkout, builds the app when any
// source is newer than the build (as `npm run serve` does), then runs the built command.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'out', 'main', 'gatehouse.js');

function newest(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newest(join(path, name))));
}

// An installed package has out/ but no src/: nothing to build there.
const source = join(root, 'src');
const stale =
  existsSync(source) &&
  (!existsSync(built) ||
    Math.max(newest(source), newest(join(root, 'electron.vite.config.ts'))) > statSync(built).mtimeMs);

if (stale) {
  // Build output goes to stderr: stdout stays the command's own (scripts parse `-o json`).
  const build = spawnSync('npx', ['electron-vite', 'build'], { cwd: root, stdio: ['ignore', 2, 'inherit'] });
  if (build.status !== 0) process.exit(build.status ?? 7);
}

await import(pathToFileURL(built).href);
