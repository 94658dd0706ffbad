/**
 * A minimal browser for identity tests: drives the app in-process (Fastify inject) with a cookie jar
 * that honours Path, Max-Age and Expires, and follows same-origin redirects step by step.
 */
import type { LightMyRequestResponse } from 'fastify';
import type { App } from '../../src/server/app.js';

interface Cookie {
  name: string;
  value: string;
  path: string;
  httpOnly: boolean;
  sameSite: string | null;
  secure: boolean;
}

export class TestBrowser {
  readonly cookies: Cookie[] = [];

  constructor(
    private readonly app: App,
    /** the app's public URL: redirects there stay in the app, others are returned to the caller */
    readonly origin: string,
  ) {}

  cookie(name: string): Cookie | undefined {
    return this.cookies.find((c) => c.name === name);
  }

  private cookieHeader(path: string): string {
    return this.cookies
      .filter((c) => path === c.path || path.startsWith(c.path.endsWith('/') ? c.path : c.path + '/'))
      .sort((a, b) => b.path.length - a.path.length)
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }

  private store(res: LightMyRequestResponse, requestPath: string): void {
    const raw = res.headers['set-cookie'];
    const lines = raw === undefined ? [] : Array.isArray(raw) ? raw : [String(raw)];
    for (const line of lines) {
      const [pair = '', ...attrs] = line.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      const attr = new Map(
        attrs.map((a) => {
          const i = a.indexOf('=');
          return i < 0 ? [a.toLowerCase(), ''] : [a.slice(0, i).toLowerCase(), a.slice(i + 1)];
        }),
      );
      const path = attr.get('path') ?? requestPath.replace(/\/[^/]*$/, '') ?? '/';
      const maxAge = attr.get('max-age');
      const expires = attr.get('expires');
      const gone =
        (maxAge !== undefined && Number(maxAge) <= 0) ||
        (expires !== undefined && Date.parse(expires) <= Date.now()) ||
        value === '';
      const i = this.cookies.findIndex((c) => c.name === name && c.path === path);
      if (i >= 0) this.cookies.splice(i, 1);
      if (!gone)
        this.cookies.push({
          name,
          value,
          path,
          httpOnly: attr.has('httponly'),
          sameSite: attr.get('samesite') ?? null,
          secure: attr.has('secure'),
        });
    }
  }

  private local(url: string): string {
    const u = new URL(url, this.origin);
    if (u.origin !== new URL(this.origin).origin) throw new Error(`not this app: ${url}`);
    return u.pathname + u.search;
  }

  async request(
    method: 'GET' | 'POST',
    url: string,
    opts: { form?: Record<string, string>; headers?: Record<string, string> } = {},
  ): Promise<LightMyRequestResponse> {
    const path = this.local(url);
    const cookie = this.cookieHeader(path.split('?')[0]!);
    const res = await this.app.inject({
      method,
      url: path,
      headers: {
        accept: 'text/html',
        ...(cookie ? { cookie } : {}),
        ...(opts.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        ...opts.headers,
      },
      ...(opts.form ? { payload: new URLSearchParams(opts.form).toString() } : {}),
    });
    this.store(res, path.split('?')[0]!);
    return res;
  }

  get(url: string, headers?: Record<string, string>): Promise<LightMyRequestResponse> {
    return this.request('GET', url, headers ? { headers } : {});
  }

  post(url: string, form: Record<string, string>): Promise<LightMyRequestResponse> {
    return this.request('POST', url, { form });
  }

  /**
   * Follows redirects from `res` while they stay in the app and `until` does not stop them;
   * returns the last response and the URL it answered.
   */
  async follow(
    res: LightMyRequestResponse,
    until: (location: string) => boolean = () => false,
  ): Promise<{ res: LightMyRequestResponse; url: string | null; stoppedAt: string | null }> {
    let url: string | null = null;
    for (let i = 0; i < 20; i++) {
      const loc = res.headers.location;
      if (res.statusCode < 300 || res.statusCode >= 400 || typeof loc !== 'string')
        return { res, url, stoppedAt: null };
      const abs = new URL(loc, this.origin).toString();
      if (until(abs)) return { res, url, stoppedAt: abs };
      url = abs;
      res = await this.get(abs);
    }
    throw new Error('too many redirects');
  }
}

/** The value of a form's hidden input, or a button's data attribute, found by a regular expression. */
export function pick(html: string, re: RegExp): string {
  const m = re.exec(html);
  if (!m?.[1]) throw new Error(`not found in page: ${re}\n${html.slice(0, 2000)}`);
  return m[1];
}
