/**
 * Login and logout: the rules between the HTTP routes and the relying party.
 *
 * A login attempt (state, nonce, PKCE verifier, where to return) is a row whose id travels in a
 * short-lived cookie bound to the browser that started it. The callback is accepted only with that
 * cookie, for an unused attempt younger than 10 minutes, with its `state`; the attempt is then
 * consumed (atomically) before the code is exchanged, so one attempt finishes at most one login, even
 * when that login fails.
 *
 * An unknown (issuer, subject) becomes a new person with no roles and no guardian links: an
 * authenticated nobody, who sees "no children yet" until an administrator links them (see
 * docs/design/identity.md). A disabled person is refused.
 */
import { timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import * as client from 'openid-client';
import type { Database } from '../storage/schema.js';
import type { Clock } from '../shared/clock.js';
import { appendAudit, recordAudit, type AuditContext } from '../audit/audit-log.js';
import type { AuthenticatedSession, SessionStore } from './sessions.js';
import { LoginRefused, type RelyingParty } from './rp.js';
import { IdentityStore, LOGIN_ATTEMPT_TTL_MS } from './store.js';
import { StreamSessionsRepository } from '../storage/repositories/stream-sessions.js';
import { accessChanged } from '../streams/access-events.js';

export interface CompletedLogin {
  token: string;
  sessionId: string;
  expiresAt: string;
  returnTo: string;
  person: { id: string; displayName: string; created: boolean };
}

export interface RequestMeta {
  ip: string | null;
  userAgent: string | null;
}

export class LoginService {
  private readonly store: IdentityStore;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    private readonly sessions: SessionStore,
    private readonly rp: RelyingParty,
  ) {
    this.store = new IdentityStore(db);
  }

  /** Starts a login: the attempt's id (for the browser cookie) and the provider URL to send the browser to. */
  async begin(returnTo: string): Promise<{ attemptId: string; redirectTo: string }> {
    const state = client.randomState();
    const nonce = client.randomNonce();
    const codeVerifier = client.randomPKCECodeVerifier();
    const url = await this.rp.authorizationUrl({ state, nonce, codeVerifier });
    const attemptId = await this.store.createAttempt(
      { state, nonce, codeVerifier, returnTo },
      this.clock.now(),
    );
    return { attemptId, redirectTo: url.toString() };
  }

  /**
   * Finishes a login from the provider's callback. Every refusal is audited as `auth.login_failed`
   * with its reason and thrown as LoginRefused; no session exists afterwards.
   */
  async complete(
    attemptId: string | undefined,
    query: URLSearchParams,
    meta: RequestMeta & { previousSessionId: string | null },
  ): Promise<CompletedLogin> {
    try {
      return await this.verifyAndCreateSession(attemptId, query, meta);
    } catch (e) {
      if (e instanceof LoginRefused) {
        await recordAudit(
          this.db,
          { actor: null, ip: meta.ip, userAgent: meta.userAgent, sessionId: null },
          {
            action: 'auth.login_failed',
            decision: 'deny',
            reason: e.reason,
            details: { message: e.message, ...e.details },
          },
          this.clock.now(),
        );
      }
      throw e;
    }
  }

  private async verifyAndCreateSession(
    attemptId: string | undefined,
    query: URLSearchParams,
    meta: RequestMeta & { previousSessionId: string | null },
  ): Promise<CompletedLogin> {
    if (!attemptId)
      throw new LoginRefused('no_login_attempt', 'this browser has no login in progress (cookie missing)');
    const attempt = await this.store.findAttempt(attemptId);
    if (!attempt) throw new LoginRefused('login_attempt_unknown', 'unknown login attempt');
    if (attempt.usedAt) throw new LoginRefused('login_attempt_reused', 'this login attempt was already used');
    const now = this.clock.now();
    if (now.getTime() - Date.parse(attempt.createdAt) > LOGIN_ATTEMPT_TTL_MS)
      throw new LoginRefused('login_attempt_expired', 'the login took longer than 10 minutes');
    // A response whose state is not this attempt's was not meant for it: refuse it without
    // consuming the attempt, so a forged callback cannot spoil a login in progress.
    if (!sameString(query.get('state') ?? '', attempt.state))
      throw new LoginRefused('state_mismatch', 'the state does not match this browser’s login');
    if (!(await this.store.consumeAttempt(attempt.id, now)))
      throw new LoginRefused('login_attempt_reused', 'this login attempt was already used');

    const error = query.get('error');
    if (error)
      throw new LoginRefused('provider_error', 'the identity provider refused the login', {
        error: error.slice(0, 100),
        error_description: query.get('error_description')?.slice(0, 300) ?? null,
      });
    if (!query.get('code')) throw new LoginRefused('missing_code', 'the callback has no authorization code');
    if (!attempt.codeVerifier)
      throw new LoginRefused('missing_pkce', 'the login attempt has no PKCE verifier');

    // `verified.issuer` is the ID token's `iss`, which openid-client has compared with the
    // discovered issuer exactly: persons are keyed by the provider's own spelling of it.
    const verified = await this.rp.completeLogin(query, attempt);
    const issuer = verified.issuer;

    return this.db.transaction().execute(async (trx) => {
      let person = await this.store.findPerson(issuer, verified.subject, trx);
      let created = false;
      if (!person) {
        person = await this.store.createPerson(
          {
            issuer,
            subject: verified.subject,
            displayName: verified.displayName ?? verified.subject,
            email: verified.email,
          },
          now,
          trx,
        );
        created = true;
      }
      if (person.disabled)
        throw new LoginRefused('person_disabled', 'this person is disabled in Okno', {
          subject: verified.subject,
        });
      if (meta.previousSessionId) await this.sessions.end(meta.previousSessionId, 'revoked', trx);
      const s = await this.sessions.create(
        person.id,
        { ip: meta.ip, userAgent: meta.userAgent, idTokenHint: verified.idToken },
        trx,
      );
      const role = (await this.store.roles(person.id, trx))[0] ?? 'parent';
      await appendAudit(
        trx,
        {
          actor: { personId: person.id, subject: verified.subject, role },
          ip: meta.ip,
          userAgent: meta.userAgent,
          sessionId: s.sessionId,
        },
        {
          action: 'auth.login',
          decision: 'allow',
          targetKind: 'person',
          targetId: person.id,
          details: { issuer, personCreated: created },
        },
        now,
      );
      return {
        token: s.token,
        sessionId: s.sessionId,
        expiresAt: s.expiresAt,
        returnTo: attempt.returnTo,
        person: { id: person.id, displayName: person.displayName, created },
      };
    });
  }

  /** Ends the session and records it; the caller clears the cookie and sends the browser on. */
  async logout(session: AuthenticatedSession, audit: AuditContext): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const ended = await this.sessions.end(session.sessionId, 'logout', trx);
      // Grants of the session that never opened a stream are released with it.
      await new StreamSessionsRepository(trx).releaseUnstarted(
        session.sessionId,
        this.clock.now().toISOString(),
        trx,
      );
      if (ended)
        await appendAudit(
          trx,
          audit,
          { action: 'auth.logout', decision: 'allow', targetKind: 'session', targetId: session.sessionId },
          this.clock.now(),
        );
    });
    // Its open streams close now, not at the next sweep.
    accessChanged({ kind: 'session', ids: [session.sessionId] });
  }

  /** Where the provider's logout is, or null (then the browser goes home). */
  endSessionUrl(idTokenHint: string | null, postLogoutRedirectUri: string): Promise<string | null> {
    return this.rp.endSessionUrl(idTokenHint, postLogoutRedirectUri);
  }
}

function sameString(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
