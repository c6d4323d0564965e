import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';
import type { Plugin } from 'vite';

/**
 * The built page carries its own strict CSP (file:// loads in Electron have no
 * response headers to carry one). Not applied to the dev server, whose React
 * refresh preamble is an inline script.
 */
const contentSecurityPolicy: Plugin = {
  name: 'gatehouse-csp',
  apply: 'build',
  transformIndexHtml: (html) =>
    html.replace(
      '<head>',
      `<head>\n    <meta http-equiv="Content-Security-Policy" content="default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'" />`,
    ),
};

export default defineConfig({
  main: {
    build: {
      rolldownOptions: {
        // The Electron shell, and two Electron-free entries: the headless server and the `gatehouse` command.
        input: {
          index: resolve('src/main/index.ts'),
          serve: resolve('src/main/serve.ts'),
          gatehouse: resolve('src/main/core/cli/gatehouse-main.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      // Sandboxed preloads cannot be ES modules: one CommonJS file.
      rolldownOptions: { output: { format: 'cjs', entryFileNames: '[name].cjs' } },
    },
  },
  renderer: {
    root: 'src/renderer',
    build: { rolldownOptions: { input: resolve('src/renderer/index.html') } },
    plugins: [react(), contentSecurityPolicy],
  },
});
