// Builds better-sqlite3 for Electron's ABI into .electron-native/, leaving the Node
// build in node_modules to the tests and `npm run serve`. The Electron shell loads it
// through better-sqlite3's `nativeBinding` option. Needs Electron's headers: network.
//   node scripts/electron-native.mjs [--if-missing]
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const target = join(root, '.electron-native', 'better_sqlite3.node');
if (process.argv.includes('--if-missing') && existsSync(target)) process.exit(0);

const require = createRequire(import.meta.url);
const { rebuild } = require('@electron/rebuild');
const electronVersion = require('electron/package.json').version;
const work = join(root, '.electron-native', 'work');
rmSync(work, { recursive: true, force: true });
mkdirSync(join(work, 'node_modules'), { recursive: true });
writeFileSync(
  join(work, 'package.json'),
  JSON.stringify({ name: 'gatehouse-native', version: '0.0.0', dependencies: { 'better-sqlite3': '*' } }),
);
cpSync(join(root, 'node_modules', 'better-sqlite3'), join(work, 'node_modules', 'better-sqlite3'), { recursive: true });
console.log(`building better-sqlite3 for Electron ${electronVersion}…`);
await rebuild({ buildPath: work, electronVersion, onlyModules: ['better-sqlite3'], force: true });
cpSync(join(work, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node'), target);
rmSync(work, { recursive: true, force: true });
console.log(`wrote ${target}`);
