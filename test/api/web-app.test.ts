import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { loadConfig } from '../../src/config/config.js';
import type { App } from '../../src/server/app.js';
import { registerErrorHandler } from '../../src/server/error-handler.js';
import { contentSecurityPolicy, registerWebApp, resolveInside } from '../../src/api/web.js';

async function appWith(distDir: string): Promise<App> {
  const app = Fastify({ logger: false }).withTypeProvider<TypeBoxTypeProvider>() as App;
  registerErrorHandler(app);
  app.get('/api/me', async () => ({ ok: true }));
  await registerWebApp(
    app,
    { config: loadConfig({ env: {}, overrides: { logLevel: 'silent' } }) },
    { distDir },
  );
  await app.ready();
  return app;
}

function builtDist(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'okno-web-'));
  mkdirSync(path.join(dir, 'assets'));
  writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>Okno</title><div id="app"></div>');
  writeFileSync(path.join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
  writeFileSync(path.join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  return dir;
}

const html = { accept: 'text/html,application/xhtml+xml', host: 'okno.example:8080' };

describe('web app serving', () => {
  test('serves the app for its own paths with a strict CSP, files with cache headers, never for API paths', async () => {
    const dist = builtDist();
    const app = await appWith(dist);
    try {
      for (const url of [
        '/',
        '/children',
        '/watch/1b7a4f0e-0000-4000-8000-000000000000',
        '/admin/institutions/x/cameras',
      ]) {
        const r = await app.inject({ url, headers: html });
        assert.equal(r.statusCode, 200, url);
        assert.match(r.body, /<div id="app">/, url);
        assert.equal(r.headers['cache-control'], 'no-cache', url);
        const csp = String(r.headers['content-security-policy']);
        assert.match(csp, /default-src 'none'/);
        assert.match(csp, /script-src 'self'(;|$)/);
        assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
        assert.match(csp, /connect-src 'self' ws:\/\/okno\.example:8080 wss:\/\/okno\.example:8080/);
        assert.match(csp, /frame-ancestors 'none'/);
      }
      const asset = await app.inject({ url: '/assets/index-abc123.js' });
      assert.equal(asset.statusCode, 200);
      assert.match(String(asset.headers['cache-control']), /immutable/);
      assert.equal((await app.inject({ url: '/favicon.svg' })).statusCode, 200);

      // The API keeps its own answers; unknown API and media paths are JSON 404s, not the app.
      assert.deepEqual((await app.inject({ url: '/api/me', headers: html })).json(), { ok: true });
      for (const url of ['/api/nope', '/auth/nope', '/media/live/x/ws', '/healthz/x']) {
        const r = await app.inject({ url, headers: html });
        assert.equal(r.statusCode, 404, url);
        assert.equal(r.json<{ code: string }>().code, 'not_found', url);
      }
      // A missing file and a non-browser client get a 404, not index.html.
      assert.equal((await app.inject({ url: '/assets/missing.js', headers: html })).statusCode, 404);
      assert.equal(
        (await app.inject({ url: '/children', headers: { accept: 'application/json' } })).statusCode,
        404,
      );
      // No escape from the build folder.
      for (const url of ['/../package.json', '/%2e%2e/package.json', '/assets/..%2f..%2fpackage.json']) {
        const r = await app.inject({ url, headers: html });
        assert.ok(r.statusCode === 404 || !r.body.includes('"name"'), url);
      }
    } finally {
      await app.close();
      rmSync(dist, { recursive: true, force: true });
    }
  });

  test('without a build, app paths answer 503 saying how to build it', async () => {
    const missing = path.join(tmpdir(), `okno-web-missing-${process.pid}`);
    const app = await appWith(missing);
    try {
      const r = await app.inject({ url: '/children', headers: html });
      assert.equal(r.statusCode, 503);
      assert.match(r.body, /npm run build:web/);
      assert.match(String(r.headers['content-security-policy']), /style-src 'sha256-/);
      assert.equal((await app.inject({ url: '/api/nope' })).statusCode, 404);
    } finally {
      await app.close();
    }
  });

  test('resolveInside finds only regular files inside the root', () => {
    const dist = builtDist();
    try {
      assert.equal(resolveInside(dist, '/favicon.svg'), 'favicon.svg');
      assert.equal(resolveInside(dist, '/assets'), null);
      assert.equal(resolveInside(dist, '/../etc/passwd'), null);
      assert.equal(resolveInside(dist, '/nope.js'), null);
    } finally {
      rmSync(dist, { recursive: true, force: true });
    }
  });

  test('the policy names WebSocket origins only for a well-formed host', () => {
    assert.match(
      contentSecurityPolicy('localhost:8080'),
      /connect-src 'self' ws:\/\/localhost:8080 wss:\/\/localhost:8080/,
    );
    assert.match(contentSecurityPolicy('evil.example; script-src *'), /connect-src 'self'(;|$)/);
    assert.match(contentSecurityPolicy(undefined), /connect-src 'self'(;|$)/);
  });
});

describe('web app: compressed assets and source maps', () => {
  async function appIn(distDir: string, mode: 'development' | 'production'): Promise<App> {
    const app = Fastify({ logger: false }).withTypeProvider<TypeBoxTypeProvider>() as App;
    registerErrorHandler(app);
    const env =
      mode === 'production'
        ? {
            OKNO_MODE: 'production',
            OKNO_PUBLIC_URL: 'https://okno.example',
            OKNO_OIDC_DEV_PROVIDER: 'false',
            OKNO_OIDC_ISSUER: 'https://idp.example',
            OKNO_OIDC_CLIENT_SECRET: 'x',
          }
        : {};
    await registerWebApp(
      app,
      { config: loadConfig({ env, overrides: { logLevel: 'silent' } }) },
      { distDir },
    );
    await app.ready();
    return app;
  }

  test('a pre-compressed file goes out by Accept-Encoding (brotli first, then gzip, else plain)', async () => {
    const dist = builtDist();
    const plain = 'console.log("Okno");\n'.repeat(200);
    const { brotliCompressSync, gzipSync, brotliDecompressSync, gunzipSync } = await import('node:zlib');
    writeFileSync(path.join(dist, 'assets', 'app-1.js'), plain);
    writeFileSync(path.join(dist, 'assets', 'app-1.js.br'), brotliCompressSync(plain));
    writeFileSync(path.join(dist, 'assets', 'app-1.js.gz'), gzipSync(plain));
    const app = await appIn(dist, 'development');
    try {
      const br = await app.inject({ url: '/assets/app-1.js', headers: { 'accept-encoding': 'gzip, br' } });
      assert.equal(br.statusCode, 200);
      assert.equal(br.headers['content-encoding'], 'br');
      assert.ok(br.rawPayload.length < plain.length / 5);
      assert.equal(brotliDecompressSync(br.rawPayload).toString(), plain);
      const gz = await app.inject({ url: '/assets/app-1.js', headers: { 'accept-encoding': 'gzip' } });
      assert.equal(gz.headers['content-encoding'], 'gzip');
      assert.equal(gunzipSync(gz.rawPayload).toString(), plain);
      const none = await app.inject({ url: '/assets/app-1.js', headers: { 'accept-encoding': 'identity' } });
      assert.equal(none.headers['content-encoding'], undefined);
      assert.equal(none.body, plain);
    } finally {
      await app.close();
      rmSync(dist, { recursive: true, force: true });
    }
  });

  test('source maps are served in development, never in production', async () => {
    const dist = builtDist();
    writeFileSync(path.join(dist, 'assets', 'index-abc123.js.map'), '{"version":3}');
    const dev = await appIn(dist, 'development');
    const prod = await appIn(dist, 'production');
    try {
      assert.equal((await dev.inject({ url: '/assets/index-abc123.js.map' })).statusCode, 200);
      assert.equal((await prod.inject({ url: '/assets/index-abc123.js.map' })).statusCode, 404);
      assert.equal((await prod.inject({ url: '/assets/index-abc123.js' })).statusCode, 200);
    } finally {
      await dev.close();
      await prod.close();
      rmSync(dist, { recursive: true, force: true });
    }
  });
});
