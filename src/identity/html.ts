/**
 * Small server-rendered HTML pages (the landing page, login errors, the development provider's pages)
 * with a strict Content-Security-Policy: no scripts at all, and the one inline style block allowed by
 * its hash. Everything interpolated goes through `escapeHtml`.
 */
import { createHash } from 'node:crypto';
import type { FastifyReply } from 'fastify';

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const BASE_CSS = `
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2430;background:#f4f6f9}
main{max-width:40rem;margin:0 auto;padding:1.5rem 1rem}
h1{font-size:1.5rem;margin:0 0 1rem}
.card{background:#fff;border-radius:12px;padding:1.25rem;box-shadow:0 1px 3px rgba(0,0,0,.12);margin-bottom:1rem}
.card>:first-child{margin-top:0}.card>:last-child{margin-bottom:0}
.button,button{display:inline-block;font:inherit;font-weight:600;padding:.7rem 1.2rem;border-radius:8px;border:0;
  background:#1f5fbf;color:#fff;text-decoration:none;cursor:pointer;min-height:44px}
.button:focus,button:focus{outline:3px solid #f2b705;outline-offset:2px}
button.secondary{background:#e4e8ef;color:#1d2430}
.muted{color:#5b6575;font-size:.9rem}
.error{border-left:4px solid #c62828}
.warning{background:#fff4d6;border:2px solid #c78a00;border-radius:8px;padding:.75rem 1rem;margin-bottom:1rem}
ul.people{list-style:none;padding:0;margin:0}
ul.people li{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center;justify-content:space-between;
  padding:.75rem 0;border-bottom:1px solid #e4e8ef}
ul.people li:last-child{border-bottom:0}
code{font-size:.85rem;word-break:break-all}
`;

export interface Page {
  html: string;
  /** the Content-Security-Policy header value that goes with it */
  csp: string;
}

export function renderPage(opts: { title: string; body: string; lang?: string; css?: string }): Page {
  const css = BASE_CSS + (opts.css ?? '');
  const styleHash = createHash('sha256').update(css).digest('base64');
  const html = `<!DOCTYPE html>
<html lang="${opts.lang ?? 'ru'}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(opts.title)}</title>
<link rel="icon" href="data:,">
<style>${css}</style>
</head>
<body>
<main>
${opts.body}
</main>
</body>
</html>`;
  const csp = [
    "default-src 'none'",
    `style-src 'sha256-${styleHash}'`,
    'img-src data:',
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return { html, csp };
}

/** Whether the client wants a page (a browser navigation) rather than JSON. */
export function wantsHtml(accept: string | undefined): boolean {
  return !!accept && accept.includes('text/html');
}

/** Answers with a page and its CSP; never cached (pages here carry per-person state or CSRF tokens). */
export function sendPage(reply: FastifyReply, status: number, page: Page): FastifyReply {
  return reply
    .status(status)
    .header('content-security-policy', page.csp)
    .header('cache-control', 'no-store')
    .type('text/html; charset=utf-8')
    .send(page.html);
}
