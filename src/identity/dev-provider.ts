/**
 * The embedded development identity provider: a real OpenID provider (oidc-provider v9) mounted at
 * /dev-idp inside Okno's own server, whose accounts are the demo people. Its "log in" page lists them
 * with a button each; consent is granted automatically. It exists for the demo and the tests, is
 * refused in production mode (by the config and again here), and is never a model for production.
 *
 * - Issuer `${publicUrl}/dev-idp`; one client (`okno`, client_secret_basic with a secret generated
 *   per process, PKCE S256 required, the exact redirect URI `${publicUrl}/auth/callback`).
 * - Signing key: RSA, generated once and kept in DATA_DIR/dev-idp-jwks.json (mode 0600), so ID tokens
 *   issued before a restart still verify as `id_token_hint` at logout. Provider sessions, codes and
 *   grants live in memory.
 * - Built on first use (lazily), so an app that never sees a /dev-idp request never loads it.
 * - The provider always believes it lives at publicUrl: the Host and X-Forwarded-Proto of requests
 *   handed to it are set from publicUrl, so its metadata and redirects are stable however it is reached.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import type { CustomFetch } from 'openid-client';
import type { KoaContextWithOIDC, Provider as ProviderType } from 'oidc-provider';
import type { App } from '../server/app.js';
import { DEMO_PEOPLE } from '../demo/people.js';
import { DEV_IDP_PATH, devIssuer } from './dev-provider-info.js';
import { memoryAdapter } from './dev-provider-adapter.js';
import { escapeHtml, renderPage, sendPage } from './html.js';

export interface DevProviderOptions {
  mode: 'development' | 'production';
  publicUrl: string;
  dataDir: string;
  clientId: string;
}

const KEY_FILE = 'dev-idp-jwks.json';
const BANNER_RU = 'Тестовый поставщик удостоверений — только для разработки';
const BANNER_EN = 'Development identity provider — not for production';

export class DevProvider {
  readonly issuer: string;
  /** generated per process and handed to the relying party in the same process */
  readonly clientSecret = randomBytes(32).toString('base64url');
  readonly redirectUri: string;
  readonly postLogoutRedirectUri: string;
  readonly #publicOrigin: URL;
  #provider: Promise<ProviderType> | undefined;

  constructor(private readonly opts: DevProviderOptions) {
    if (opts.mode === 'production')
      throw new Error('the development identity provider is refused in production mode');
    this.issuer = devIssuer(opts.publicUrl);
    this.#publicOrigin = new URL(opts.publicUrl);
    this.redirectUri = `${opts.publicUrl.replace(/\/+$/, '')}/auth/callback`;
    this.postLogoutRedirectUri = `${opts.publicUrl.replace(/\/+$/, '')}/`;
  }

  provider(): Promise<ProviderType> {
    this.#provider ??= this.build().catch((e: unknown) => {
      this.#provider = undefined;
      throw e;
    });
    return this.#provider;
  }

  private async build(): Promise<ProviderType> {
    // Imported on first use: oidc-provider prints a runtime notice on import under Node 20.
    const { default: Provider, interactionPolicy } = await import('oidc-provider');
    const policy = interactionPolicy.base();
    // Every login shows the page of demo people, even with a provider session still alive, so the
    // demo can switch people without ending the provider's session first.
    policy
      .get('login')
      ?.checks.add(
        new interactionPolicy.Check(
          'dev_pick_person',
          'the development provider always asks who logs in',
          (ctx) =>
            ctx.oidc.result?.login
              ? interactionPolicy.Check.NO_NEED_TO_PROMPT
              : interactionPolicy.Check.REQUEST_PROMPT,
        ),
      );
    const provider = new Provider(this.issuer, {
      adapter: memoryAdapter(),
      clients: [
        {
          client_id: this.opts.clientId,
          client_secret: this.clientSecret,
          redirect_uris: [this.redirectUri],
          post_logout_redirect_uris: [this.postLogoutRedirectUri],
          response_types: ['code'],
          grant_types: ['authorization_code'],
          token_endpoint_auth_method: 'client_secret_basic',
          id_token_signed_response_alg: 'RS256',
        },
      ],
      findAccount: (_ctx, sub) => {
        const p = DEMO_PEOPLE.find((d) => d.subject === sub);
        if (!p) return undefined;
        return {
          accountId: p.subject,
          claims: () => ({ sub: p.subject, name: p.displayName, email: p.email, email_verified: true }),
        };
      },
      jwks: { keys: [this.signingKey()] },
      claims: { openid: ['sub'], profile: ['name'], email: ['email', 'email_verified'] },
      responseTypes: ['code'],
      pkce: { required: () => true },
      // Put the profile claims granted by scope into the ID token (not only at userinfo).
      conformIdTokenClaims: false,
      cookies: {
        names: { session: 'dev_idp_session', interaction: 'dev_idp_interaction', resume: 'dev_idp_resume' },
        long: { httpOnly: true, sameSite: 'lax', path: DEV_IDP_PATH },
        short: { httpOnly: true, sameSite: 'lax', path: DEV_IDP_PATH },
        keys: [randomBytes(32).toString('base64url')],
      },
      interactions: {
        policy,
        url: (_ctx, interaction) => `${DEV_IDP_PATH}/interaction/${interaction.uid}`,
      },
      features: {
        devInteractions: { enabled: false },
        rpInitiatedLogout: {
          enabled: true,
          logoutSource: async (ctx: KoaContextWithOIDC, form: string) => {
            send(
              ctx,
              200,
              devPage(
                'Выход',
                `<h1>Выход</h1>
<p>Вы вышли из Okno. Завершить также сеанс тестового поставщика удостоверений?</p>
${form}
<p><button type="submit" form="op.logoutForm" name="logout" value="yes" autofocus>Да, выйти</button>
<button type="submit" form="op.logoutForm" class="secondary">Нет, остаться</button></p>`,
              ),
            );
          },
          postLogoutSuccessSource: async (ctx: KoaContextWithOIDC) => {
            send(
              ctx,
              200,
              devPage('Выход', '<h1>Вы вышли</h1><p><a class="button" href="/">На главную</a></p>'),
            );
          },
        },
      },
      ttl: {
        AccessToken: 600,
        AuthorizationCode: 60,
        IdToken: 600,
        Interaction: 600,
        Session: 8 * 3600,
        Grant: 8 * 3600,
      },
      renderError: async (ctx, out) => {
        const rows = Object.entries(out)
          .map(([k, v]) => `<p><strong>${escapeHtml(k)}</strong>: <code>${escapeHtml(String(v))}</code></p>`)
          .join('');
        send(ctx, ctx.status >= 400 ? ctx.status : 400, devPage('Ошибка', `<h1>Ошибка входа</h1>${rows}`));
      },
      clientBasedCORS: () => false,
    });
    // Behind Okno's own server: trust the Host / X-Forwarded-Proto that pinToPublicUrl() sets.
    provider.proxy = true;
    return provider;
  }

  /** The RSA signing key, created on first use and kept in the data directory. */
  private signingKey(): Record<string, unknown> {
    const file = path.join(this.opts.dataDir, KEY_FILE);
    const read = () =>
      (JSON.parse(readFileSync(file, 'utf8')) as { keys: Record<string, unknown>[] }).keys[0];
    try {
      const k = read();
      if (k) return k;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    mkdirSync(this.opts.dataDir, { recursive: true });
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = {
      ...privateKey.export({ format: 'jwk' }),
      use: 'sig',
      alg: 'RS256',
      kid: randomBytes(8).toString('hex'),
    };
    // Write to a temporary name and link it into place: whoever links first wins, atomically.
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
    writeFileSync(tmp, JSON.stringify({ keys: [jwk] }), { mode: 0o600 });
    try {
      linkSync(tmp, file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    } finally {
      rmSync(tmp, { force: true });
    }
    const k = read();
    if (!k) throw new Error(`${file}: no key`);
    return k;
  }

  /** Make the provider see publicUrl as its origin, whatever Host the request came with. */
  private pinToPublicUrl(raw: IncomingMessage): void {
    raw.headers.host = this.#publicOrigin.host;
    raw.headers['x-forwarded-proto'] = this.#publicOrigin.protocol.replace(':', '');
    delete raw.headers['x-forwarded-host'];
    delete raw.headers.forwarded;
  }

  /** Mounts the provider and its pages on the app. */
  async register(app: App): Promise<void> {
    // The provider itself: every /dev-idp/* request but the interaction pages, handed to its Koa
    // app. It reads request bodies itself, so this scope parses none.
    await app.register(async (scope) => {
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('*', (_req, _payload, done) => done(null));
      scope.all(`${DEV_IDP_PATH}/*`, { schema: { hide: true } }, async (req, reply) => {
        const provider = await this.provider();
        const raw = req.raw as IncomingMessage & { originalUrl?: string };
        const url = raw.url ?? '/';
        raw.originalUrl = url;
        raw.url = url.slice(DEV_IDP_PATH.length) || '/';
        this.pinToPublicUrl(raw);
        reply.hijack();
        await provider.callback()(raw, reply.raw);
      });
    });

    // The interaction page: who logs in.
    app.get(`${DEV_IDP_PATH}/interaction/:uid`, { schema: { hide: true } }, async (req, reply) => {
      const provider = await this.provider();
      this.pinToPublicUrl(req.raw);
      const { uid } = req.params as { uid: string };
      let details;
      try {
        details = await provider.interactionDetails(req.raw, reply.raw);
      } catch {
        return sendPage(reply, 400, devPage('Ошибка', expiredInteraction()));
      }
      if (details.uid !== uid) return sendPage(reply, 400, devPage('Ошибка', expiredInteraction()));
      const action = `${DEV_IDP_PATH}/interaction/${encodeURIComponent(uid)}`;
      const people = DEMO_PEOPLE.map(
        (p) => `<li><div><strong>${escapeHtml(p.displayName)}</strong><br>
<span class="muted">${escapeHtml(p.description)}</span></div>
<form method="post" action="${action}"><input type="hidden" name="subject" value="${escapeHtml(p.subject)}">
<button type="submit" data-subject="${escapeHtml(p.subject)}">Войти как ${escapeHtml(p.displayName)}</button></form></li>`,
      ).join('\n');
      return sendPage(
        reply,
        200,
        devPage(
          'Выбор демо-пользователя',
          `<h1>Кто входит?</h1>
<div class="card"><ul class="people">
${people}
</ul></div>
<form method="post" action="${action}"><input type="hidden" name="cancel" value="1">
<button type="submit" class="secondary">Отмена</button></form>`,
        ),
      );
    });

    app.post(`${DEV_IDP_PATH}/interaction/:uid`, { schema: { hide: true } }, async (req, reply) => {
      const provider = await this.provider();
      this.pinToPublicUrl(req.raw);
      const { uid } = req.params as { uid: string };
      const body = (req.body ?? {}) as Record<string, unknown>;
      let details;
      try {
        details = await provider.interactionDetails(req.raw, reply.raw);
      } catch {
        return sendPage(reply, 400, devPage('Ошибка', expiredInteraction()));
      }
      if (details.uid !== uid) return sendPage(reply, 400, devPage('Ошибка', expiredInteraction()));
      if (body.cancel) {
        const to = await provider.interactionResult(
          req.raw,
          reply.raw,
          { error: 'access_denied', error_description: 'the person cancelled the login' },
          { mergeWithLastSubmission: false },
        );
        return reply.redirect(to, 303);
      }
      const person = DEMO_PEOPLE.find((p) => p.subject === body.subject);
      const clientId = details.params.client_id;
      if (!person || typeof clientId !== 'string')
        return sendPage(reply, 400, devPage('Ошибка', '<h1>Нет такого демо-пользователя</h1>'));
      // Consent is granted automatically: Okno is the provider's only client.
      const grant = new provider.Grant({ accountId: person.subject, clientId });
      grant.addOIDCScope(typeof details.params.scope === 'string' ? details.params.scope : 'openid');
      const grantId = await grant.save();
      const to = await provider.interactionResult(
        req.raw,
        reply.raw,
        { login: { accountId: person.subject }, consent: { grantId } },
        { mergeWithLastSubmission: false },
      );
      return reply.redirect(to, 303);
    });
  }

  /**
   * How the relying party reaches this provider: in-process through the app (Fastify inject), so
   * the server never has to reach its own public URL over the network.
   */
  fetchVia(app: App): CustomFetch {
    return async (url, options) => {
      const u = new URL(url);
      if (!`${u.origin}${u.pathname}`.startsWith(this.issuer)) return fetch(url, options);
      const body = options.body;
      const payload =
        body == null
          ? undefined
          : typeof body === 'string'
            ? body
            : body instanceof URLSearchParams
              ? body.toString()
              : body instanceof Uint8Array
                ? Buffer.from(body)
                : body instanceof ArrayBuffer
                  ? Buffer.from(body)
                  : undefined;
      const res = await app.inject({
        method: options.method as 'GET' | 'POST',
        url: u.pathname + u.search,
        headers: options.headers,
        ...(payload !== undefined ? { payload } : {}),
      });
      const headers = new Headers();
      for (const [k, v] of Object.entries(res.headers)) {
        if (v === undefined) continue;
        for (const one of Array.isArray(v) ? v : [String(v)]) headers.append(k, one);
      }
      const noBody = res.statusCode === 204 || res.statusCode === 304;
      return new Response(noBody ? null : res.rawPayload, { status: res.statusCode, headers });
    };
  }
}

function devPage(title: string, body: string) {
  return renderPage({
    title: `${title} — ${BANNER_RU}`,
    body: `<div class="warning" role="note"><strong>${BANNER_RU}</strong><br><span lang="en">${BANNER_EN}</span></div>\n${body}`,
  });
}

function expiredInteraction(): string {
  return '<h1>Страница входа устарела</h1><p>Начните вход заново.</p><p><a class="button" href="/auth/login">Войти</a></p>';
}

function send(ctx: KoaContextWithOIDC, status: number, page: { html: string; csp: string }): void {
  ctx.status = status;
  ctx.type = 'html';
  ctx.set('content-security-policy', page.csp);
  ctx.set('x-frame-options', 'DENY');
  ctx.body = page.html;
}
