import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { buildOpenApiDocument, serializeOpenApiDocument } from '../src/main/core/api/openapi';

const root = join(import.meta.dirname, '..');
export const OPENAPI_FILE = join(root, 'docs', 'openapi.json');

/**
 * docs/openapi.json as it must read: the document for package.json's version, formatted
 * by the repository's prettier settings so `npm run format:check` and the drift test agree.
 */
export async function renderOpenApiFile(): Promise<string> {
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  const options = (await resolveConfig(OPENAPI_FILE)) ?? {};
  return format(serializeOpenApiDocument(buildOpenApiDocument(version)), { ...options, filepath: OPENAPI_FILE });
}

/** `npm run openapi`: regenerates docs/openapi.json from the operation table. */
async function main(): Promise<void> {
  const text = await renderOpenApiFile();
  writeFileSync(OPENAPI_FILE, text);
  const document = JSON.parse(text) as { paths: Record<string, object> };
  const operationCount = Object.values(document.paths).reduce((sum, methods) => sum + Object.keys(methods).length, 0);
  console.log(`wrote ${OPENAPI_FILE}: ${operationCount} operations, ${text.length} bytes`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
