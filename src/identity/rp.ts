/**
 * The OpenID Connect relying party (openid-client v6): authorization code flow with PKCE (S256),
 * `state` and `nonce`, the exact redirect URI, and full ID-token validation — issuer, audience,
 * authorized party, nonce, expiry and issued-at (openid-client always checks these) and the signature
 * against the provider's JWKS (`enableNonRepudiationChecks`, which openid-client leaves off by
 * default because the token came straight from the token endpoint over TLS; we want it on).
 *
 * Discovery is lazy and cached: the first login fetches the provider's metadata (the embedded
 * development provider is served by this same server, so it cannot be fetched at start).
 * A failed discovery is not cached.
 */
import * as client from 'openid-client';

export type LoginFailureReason =
  /** the callback came without the login-attempt cookie (another browser, or cookies blocked) */
  | 'no_login_attempt'
  | 'login_attempt_unknown'
  | 'login_attempt_expired'
  /** the attempt was already used: a replayed callback */
  | 'login_attempt_reused'
  /** the provider answered with an `error` parameter (refused, cancelled, or a bad request such as missing PKCE) */
  | 'provider_error'
  | 'state_mismatch'
  | 'missing_code'
  | 'missing_pkce'
  /** the token endpoint refused the code: reused, expired, or the PKCE verifier does not match */
  | 'code_rejected'
  | 'issuer_mismatch'
  | 'audience_mismatch'
  | 'nonce_mismatch'
  | 'id_token_expired'
  | 'id_token_signature_invalid'
  | 'id_token_invalid'
  | 'person_disabled'
  | 'provider_unavailable';

/** A refused login: the reason is logged, audited and shown. */
export class LoginRefused extends Error {
  constructor(
    readonly reason: LoginFailureReason,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'LoginRefused';
  }
}

export interface RelyingPartyOptions {
  issuer: string;
  clientId: string;
  clientSecret: string | undefined;
  /** `${publicUrl}/auth/callback`, registered at the provider exactly */
  redirectUri: string;
  /** accept plain-http provider URLs (development only: the embedded provider, local test providers) */
  allowHttp: boolean;
  /** how requests reach the provider; the embedded development provider is reached in-process */
  fetch?: client.CustomFetch;
  scope?: string;
}

export interface VerifiedLogin {
  subject: string;
  /** the provider's issuer identifier, as validated */
  issuer: string;
  displayName: string | null;
  email: string | null;
  idToken: string;
}

export class RelyingParty {
  #config: Promise<client.Configuration> | undefined;

  constructor(private readonly opts: RelyingPartyOptions) {}

  private configuration(): Promise<client.Configuration> {
    this.#config ??= this.discover().catch((e: unknown) => {
      this.#config = undefined;
      throw new LoginRefused('provider_unavailable', 'the identity provider could not be reached', {
        error: errorSummary(e),
      });
    });
    return this.#config;
  }

  private async discover(): Promise<client.Configuration> {
    const execute: ((c: client.Configuration) => void)[] = [client.enableNonRepudiationChecks];
    if (this.opts.allowHttp) execute.push(client.allowInsecureRequests);
    const auth = this.opts.clientSecret ? client.ClientSecretBasic(this.opts.clientSecret) : client.None();
    return client.discovery(new URL(this.opts.issuer), this.opts.clientId, undefined, auth, {
      execute,
      timeout: 10,
      ...(this.opts.fetch ? { [client.customFetch]: this.opts.fetch } : {}),
    });
  }

  /** The provider's authorization URL for one login attempt. */
  async authorizationUrl(a: { state: string; nonce: string; codeVerifier: string }): Promise<URL> {
    const config = await this.configuration();
    return client.buildAuthorizationUrl(config, {
      redirect_uri: this.opts.redirectUri,
      response_type: 'code',
      scope: this.opts.scope ?? 'openid profile email',
      state: a.state,
      nonce: a.nonce,
      code_challenge: await client.calculatePKCECodeChallenge(a.codeVerifier),
      code_challenge_method: 'S256',
    });
  }

  /**
   * Validates the authorization response (the callback's query), exchanges the code with the PKCE
   * verifier at the exact redirect URI, and validates the ID token. Throws LoginRefused.
   */
  async completeLogin(
    callbackQuery: URLSearchParams,
    expected: { state: string; nonce: string; codeVerifier: string },
  ): Promise<VerifiedLogin> {
    const config = await this.configuration();
    // The redirect URI sent to the token endpoint is this URL without its query: always exactly ours.
    const currentUrl = new URL(this.opts.redirectUri);
    currentUrl.search = callbackQuery.toString();
    let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
    try {
      tokens = await client.authorizationCodeGrant(config, currentUrl, {
        pkceCodeVerifier: expected.codeVerifier,
        expectedState: expected.state,
        expectedNonce: expected.nonce,
        idTokenExpected: true,
      });
    } catch (e) {
      throw classify(e);
    }
    const claims = tokens.claims();
    if (!claims || !tokens.id_token)
      throw new LoginRefused('id_token_invalid', 'the provider returned no ID token');
    let name = stringClaim(claims, 'name') ?? joinNames(claims);
    let email = stringClaim(claims, 'email');
    if (!name && config.serverMetadata().userinfo_endpoint) {
      // Some providers put only `sub` in the ID token; the profile is at the userinfo endpoint.
      try {
        const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
        name = stringClaim(info, 'name') ?? joinNames(info);
        email ??= stringClaim(info, 'email');
      } catch {
        // The login itself is valid; the person is named by their subject until an admin renames them.
      }
    }
    return { subject: claims.sub, issuer: claims.iss, displayName: name, email, idToken: tokens.id_token };
  }

  /** Where to send the browser to end the provider's session too, or null when it has no end_session endpoint. */
  async endSessionUrl(idTokenHint: string | null, postLogoutRedirectUri: string): Promise<string | null> {
    let config: client.Configuration;
    try {
      config = await this.configuration();
    } catch {
      return null;
    }
    if (!config.serverMetadata().end_session_endpoint) return null;
    return client
      .buildEndSessionUrl(config, {
        post_logout_redirect_uri: postLogoutRedirectUri,
        client_id: this.opts.clientId,
        ...(idTokenHint ? { id_token_hint: idTokenHint } : {}),
      })
      .toString();
  }
}

function stringClaim(o: Record<string, unknown>, k: string): string | null {
  const v = o[k];
  return typeof v === 'string' && v.trim() ? v.trim().slice(0, 200) : null;
}

function joinNames(o: Record<string, unknown>): string | null {
  const parts = [stringClaim(o, 'given_name'), stringClaim(o, 'family_name')].filter(Boolean);
  return parts.length ? parts.join(' ') : null;
}

interface CodedError {
  code?: unknown;
  claim?: unknown;
  message?: unknown;
  cause?: unknown;
  error?: unknown;
  error_description?: unknown;
}

function errorSummary(e: unknown): string {
  const parts: string[] = [];
  for (let cur: unknown = e, depth = 0; cur instanceof Error && depth < 4; depth++) {
    const c = cur as CodedError;
    parts.push(`${typeof c.code === 'string' ? c.code + ': ' : ''}${String(c.message)}`);
    cur = c.cause;
  }
  return parts.join(' <- ') || String(e);
}

/** Maps openid-client / oauth4webapi errors to a reason code. */
export function classify(e: unknown): LoginRefused {
  const summary = errorSummary(e);
  const errs: CodedError[] = [];
  for (let cur: unknown = e, depth = 0; cur && typeof cur === 'object' && depth < 5; depth++) {
    const c: CodedError = cur;
    errs.push(c);
    cur = c.cause;
  }
  const codes = new Set(errs.map((x) => x.code).filter((c): c is string => typeof c === 'string'));
  const claim = errs.map((x) => x.claim).find((c): c is string => typeof c === 'string');
  const details = { error: summary };
  const top = errs[0];
  if (codes.has('OAUTH_RESPONSE_BODY_ERROR'))
    return new LoginRefused('code_rejected', 'the provider refused the authorization code', {
      error: top?.error,
      error_description: top?.error_description,
    });
  if (codes.has('OAUTH_AUTHORIZATION_RESPONSE_ERROR'))
    return new LoginRefused('provider_error', 'the provider refused the login', {
      error: top?.error,
      error_description: top?.error_description,
    });
  if (codes.has('OAUTH_JWT_CLAIM_COMPARISON_FAILED')) {
    if (claim === 'iss')
      return new LoginRefused('issuer_mismatch', 'the ID token has the wrong issuer', details);
    if (claim === 'aud' || claim === 'azp')
      return new LoginRefused('audience_mismatch', 'the ID token is for another client', details);
    if (claim === 'nonce')
      return new LoginRefused('nonce_mismatch', 'the ID token does not carry our nonce', details);
    return new LoginRefused('id_token_invalid', 'the ID token is not valid', details);
  }
  if (codes.has('OAUTH_JWT_TIMESTAMP_CHECK_FAILED')) {
    if (claim === 'exp') return new LoginRefused('id_token_expired', 'the ID token has expired', details);
    return new LoginRefused('id_token_invalid', 'the ID token is not valid', details);
  }
  if (codes.has('OAUTH_KEY_SELECTION_FAILED') || /signature|JWS "?alg/i.test(summary))
    return new LoginRefused(
      'id_token_signature_invalid',
      'the ID token signature does not verify against the provider keys',
      details,
    );
  if (/"iss" \(issuer\) response parameter|response parameter "iss"/.test(summary))
    return new LoginRefused(
      'issuer_mismatch',
      'the authorization response came from another issuer',
      details,
    );
  if (/"state" response parameter/.test(summary))
    return new LoginRefused('state_mismatch', 'the state does not match this login', details);
  if (
    e instanceof TypeError ||
    codes.has('OAUTH_RESPONSE_IS_NOT_CONFORM') ||
    codes.has('OAUTH_RESPONSE_IS_NOT_JSON') ||
    codes.has('OAUTH_HTTP_REQUEST_FORBIDDEN') ||
    (e instanceof Error && e.name === 'AbortError')
  )
    return new LoginRefused('provider_unavailable', 'the identity provider did not answer properly', details);
  return new LoginRefused('id_token_invalid', 'the token response is not valid', details);
}
