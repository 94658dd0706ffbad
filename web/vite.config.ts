/**
 * Builds the browser app into web/dist, which the Okno server serves (src/api/web.ts).
 * `npm run dev:web` runs Vite's dev server with the API, login and media paths proxied to a running
 * `npm start` (http://localhost:8080, or OKNO_DEV_API).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';

const api = process.env.OKNO_DEV_API ?? 'http://localhost:8080';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [preact({ prerender: { enabled: false } })],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2020',
    sourcemap: true,
    // No inline scripts or styles anywhere: the server's Content-Security-Policy allows 'self' only.
    assetsInlineLimit: 0,
    // hls.js (≈ 600 kB) is its own chunk, loaded only where Media Source Extensions are missing.
    chunkSizeWarningLimit: 700,
  },
  server: {
    proxy: {
      '/api': { target: api, changeOrigin: false },
      '/auth': { target: api, changeOrigin: false },
      '/dev-idp': { target: api, changeOrigin: false },
      '/media': { target: api, changeOrigin: false, ws: true },
      '/live': { target: api, changeOrigin: false, ws: true },
    },
  },
});
