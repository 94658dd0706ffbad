/**
 * Serves the browser app (built by `npm run build:web` into web/dist) with a strict
 * Content-Security-Policy, and falls back to index.html for the app's own paths (/children,
 * /watch/…, /admin/…) so that deep links and reloads work. API, login and media paths are never
 * answered with the app: an unknown one gets the usual JSON 404. Without a build, every app path
 * answers a clear 503 page that says how to build it. See docs/design/web-app.md.
 */
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App, AppContext } from '../server/app.js';

export interface WebAppOptions {
  /** the built app; default web/dist of this checkout */
  distDir?: string;
}

export const DEFAULT_DIST_DIR = fileURLToPath(new URL('../../web/dist/', import.meta.url));

/** Paths that belong to the server: never answered with the app. */
const SERVER_PREFIXES = ['/api', '/auth', '/dev-idp', '/media', '/healthz', '/metrics', '/.well-known'];

/** Hashed build outputs never change under the same name. */
const IMMUTABLE_PREFIX = '/assets/';

const HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * The policy for the app's pages: scripts, styles, fonts only from this origin (no inline code),
 * pictures from here and data: (the camera probe's preview), video from here and blob: (Media Source
 * Extensions), connections to this origin over HTTP(S) and WebSocket, no frames, plugins or <base>.
 */
export function contentSecurityPolicy(host: string | undefined, extra: { styleHash?: string } = {}): string {
  const ws = host && HOST.test(host) ? ` ws://${host} wss://${host}` : '';
  return [
    "default-src 'none'",
    "script-src 'self'",
    extra.styleHash ? `style-src 'sha256-${extra.styleHash}'` : "style-src 'self'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob:",
    `connect-src 'self'${ws}`,
    "font-src 'self'",
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join('; ');
}

function isServerPath(pathname: string): boolean {
  return SERVER_PREFIXES.some((p) => pathname === p || pathname.startsWith(`${p}/`));
}

function acceptsHtml(req: FastifyRequest): boolean {
  const accept = req.headers.accept;
  return !accept || accept.includes('text/html') || accept.includes('*/*');
}

/** A regular file inside `root` for a URL path, as a path relative to root; null otherwise. */
export function resolveInside(root: string, pathname: string): string | null {
  if (pathname.includes('\0')) return null;
  const full = path.resolve(root, `.${pathname}`);
  if (full !== root && !full.startsWith(root.endsWith(path.sep) ? root : root + path.sep)) return null;
  try {
    return statSync(full).isFile() ? path.relative(root, full) : null;
  } catch {
    return null;
  }
}

const NOT_BUILT_STYLE =
  'body{font:16px/1.5 system-ui,sans-serif;margin:0;display:grid;place-items:center;min-height:100vh;background:#f4f6f8;color:#18202a}' +
  'main{max-width:34rem;margin:24px;padding:28px;background:#fff;border:1px solid #d9dee5;border-radius:14px}' +
  'h1{font-size:1.3rem;margin:0 0 12px}p{margin:8px 0}code{background:#eef1f4;padding:2px 6px;border-radius:6px}';
const NOT_BUILT_STYLE_HASH = createHash('sha256').update(NOT_BUILT_STYLE).digest('base64');

function notBuiltPage(distDir: string): string {
  const esc = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html>
<html lang="ru"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Okno: the web app is not built</title><style>${NOT_BUILT_STYLE}</style></head>
<body><main>
<h1>Веб-приложение не собрано · The web app is not built</h1>
<p>Соберите его и обновите страницу: <code>npm run build:web</code></p>
<p>Build it, then reload this page: <code>npm run build:web</code></p>
<p>Expected the build in <code>${esc(distDir)}</code>. The API itself is running (<code>/api/openapi.json</code>).</p>
</main></body></html>
`;
}

export async function registerWebApp(
  app: App,
  ctx: Pick<AppContext, 'config'>,
  opts: WebAppOptions = {},
): Promise<void> {
  const distDir = path.resolve(opts.distDir ?? DEFAULT_DIST_DIR);
  const production = ctx.config.mode === 'production';
  if (!existsSync(path.join(distDir, 'index.html')))
    app.log.warn(
      { distDir },
      'the web app is not built: run `npm run build:web` (its pages answer 503 until then)',
    );

  // Encapsulated, so the reply decorators of @fastify/static stay out of other route modules' way.
  await app.register(async (scope) => {
    // Brotli or gzip files made at build time (web/vite.config.ts) go out where the browser takes them.
    await scope.register(fastifyStatic, { serve: false, preCompressed: true });

    const securityHeaders = (req: FastifyRequest, reply: FastifyReply, styleHash?: string) => {
      reply.header('content-security-policy', contentSecurityPolicy(req.headers.host, { styleHash }));
      reply.header('cross-origin-opener-policy', 'same-origin');
      reply.header(
        'permissions-policy',
        'camera=(self), microphone=(), geolocation=(self), fullscreen=(self)',
      );
      if (production) reply.header('strict-transport-security', 'max-age=31536000');
    };

    scope.get('/*', { schema: { hide: true } }, async (req, reply) => {
      let pathname: string;
      try {
        pathname = decodeURIComponent(req.url.split('?')[0] ?? '/');
      } catch {
        return reply.callNotFound();
      }
      if (isServerPath(pathname)) return reply.callNotFound();
      // Source maps show the code as written: for developers, not the public of a production site.
      if (production && pathname.endsWith('.map')) return reply.callNotFound();

      if (!existsSync(path.join(distDir, 'index.html'))) {
        securityHeaders(req, reply, NOT_BUILT_STYLE_HASH);
        return reply
          .status(503)
          .header('cache-control', 'no-store')
          .type('text/html; charset=utf-8')
          .send(notBuiltPage(distDir));
      }

      securityHeaders(req, reply);
      const file = pathname === '/' ? null : resolveInside(distDir, pathname);
      if (file && file !== 'index.html') {
        const immutable = pathname.startsWith(IMMUTABLE_PREFIX);
        return reply.sendFile(file, distDir, {
          maxAge: immutable ? 365 * 24 * 3600 * 1000 : 3600 * 1000,
          immutable,
          dotfiles: 'deny',
        });
      }
      // A missing file (it has an extension) or a non-browser client: not the app.
      if (file !== 'index.html' && (path.posix.extname(pathname) !== '' || !acceptsHtml(req)))
        return reply.callNotFound();
      reply.header('cache-control', 'no-cache');
      return reply.sendFile('index.html', distDir, { cacheControl: false });
    });
  });
}
