/**
 * Builds the browser app into web/dist, which the Okno server serves (src/api/web.ts).
 * `npm run dev:web` runs Vite's dev server with the API, login and media paths proxied to a running
 * `npm start` (http://localhost:8080, or OKNO_DEV_API).
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { defineConfig, type Plugin } from 'vite';
import preact from '@preact/preset-vite';

const api = process.env.OKNO_DEV_API ?? 'http://localhost:8080';

/**
 * Pre-compresses the build (brotli and gzip next to each text file), so the server sends the smaller
 * file without compressing on every request (src/api/web.ts serves them by Accept-Encoding). Written
 * here with node:zlib, a dozen lines, rather than adding a plugin dependency for it.
 */
function precompress(): Plugin {
  const TEXT = /\.(js|mjs|css|html|svg|json|webmanifest|map|txt)$/;
  return {
    name: 'okno-precompress',
    apply: 'build',
    closeBundle() {
      const dist = fileURLToPath(new URL('./dist/', import.meta.url));
      const walk = (dir: string): string[] =>
        readdirSync(dir).flatMap((n) => {
          const f = path.join(dir, n);
          return statSync(f).isDirectory() ? walk(f) : [f];
        });
      for (const f of walk(dist)) {
        if (!TEXT.test(f)) continue;
        const body = readFileSync(f);
        if (body.length < 1024) continue;
        writeFileSync(
          `${f}.br`,
          brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
        );
        writeFileSync(`${f}.gz`, gzipSync(body, { level: 9 }));
      }
    },
  };
}

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [preact({ prerender: { enabled: false } }), precompress()],
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
