import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const appRoot = fileURLToPath(new URL('.', import.meta.url));
const api = 'http://127.0.0.1:3000';

export default defineConfig({
  root: appRoot,
  plugins: [react()],
  resolve: {
    alias: {
      '@margin/contracts': fileURLToPath(new URL('../../libs/contracts/src/index.ts', import.meta.url)),
    },
  },
  build: {
    outDir: '../../dist/apps/admin',
    emptyOutDir: true,
    sourcemap: true,
    rollupOptions: {
      output: {
        // Libraries change less often than the app: separate chunks stay cached across releases.
        manualChunks(id) {
          if (!id.includes('node_modules')) return undefined;
          if (
            /node_modules\/(recharts|d3-|victory-vendor|decimal\.js-light|es-toolkit|immer|reselect|@reduxjs|react-redux|redux|eventemitter3|tiny-invariant|use-sync-external-store)/.test(
              id,
            )
          ) {
            return 'charts';
          }
          // the post editor's preview: markdown renderer and HTML sanitizer (with its parser)
          if (
            /node_modules\/(marked|sanitize-html|htmlparser2|domhandler|domutils|dom-serializer|domelementtype|entities|parse-srcset|postcss|nanoid|picocolors|source-map-js|is-plain-object|escape-string-regexp|deepmerge)\//.test(
              id,
            )
          ) {
            return 'markdown';
          }
          return 'vendor';
        },
      },
    },
  },
  server: {
    host: '127.0.0.1',
    port: 4200,
    proxy: {
      // A regex, not '/api': a plain prefix would also swallow the SPA's own /api-keys route.
      '^/api(/|$)': { target: api, changeOrigin: true },
      '/v1': { target: api, changeOrigin: true },
      '/health': { target: api, changeOrigin: true },
      '/socket.io': { target: api, changeOrigin: true, ws: true },
    },
  },
  preview: {
    host: '127.0.0.1',
    port: 4300,
  },
});
