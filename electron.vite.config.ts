import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';

export default defineConfig({
  main: {
    build: {
      rolldownOptions: {
        // Two entries: the Electron shell and the Electron-free headless server.
        input: { index: resolve('src/main/index.ts'), serve: resolve('src/main/serve.ts') },
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
    plugins: [react()],
  },
});
