/**
 * A deliberately minimal, deliberately misbehaving OpenID provider for the negative login tests
 * that a real provider will not produce: an ID token with another issuer, another audience, a past
 * expiry, a foreign nonce, or a signature by a key that is not in its JWKS. It serves discovery, a
 * JWKS and a token endpoint over real HTTP on 127.0.0.1; the test decides what the next ID token
 * says. Everything else (state, PKCE, code reuse, the happy path) is tested against the real
 * embedded oidc-provider instead.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

export interface TokenRequest {
  code: string | null;
  codeVerifier: string | null;
  redirectUri: string | null;
  authorization: string | null;
}

export interface FakeOp {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** sets what the next token response's ID token claims are (merged over correct defaults) */
  nextIdToken(
    claims: Record<string, unknown>,
    opts?: { signWithForeignKey?: boolean; unsigned?: boolean },
  ): void;
  /** the nonce the RP asked for, read by the test from the authorization URL */
  setExpectedNonce(nonce: string): void;
  tokenRequests: TokenRequest[];
  close(): Promise<void>;
}

export async function startFakeOp(clientId = 'okno', clientSecret = 'fake-secret'): Promise<FakeOp> {
  const kid = 'fake-key-1';
  const good = await generateKeyPair('RS256');
  const foreign = await generateKeyPair('RS256');
  const publicJwk: JWK = { ...(await exportJWK(good.publicKey)), kid, alg: 'RS256', use: 'sig' };
  let issuer = '';
  let nonce = '';
  type Next = { claims: Record<string, unknown>; foreign: boolean; unsigned: boolean };
  let next: Next = { claims: {}, foreign: false, unsigned: false };
  const tokenRequests: TokenRequest[] = [];

  const sign = async (claims: Record<string, unknown>, how: Next) => {
    if (how.unsigned) {
      const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
      return `${b64({ alg: 'none' })}.${b64(claims)}.`;
    }
    const key: CryptoKey = how.foreign ? foreign.privateKey : good.privateKey;
    return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid }).sign(key);
  };

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', issuer);
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'GET' && url.pathname === '/.well-known/openid-configuration')
      return json(200, {
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        // 'none' is advertised so that an unsigned token gets past the algorithm list to the signature check
        id_token_signing_alg_values_supported: ['RS256', 'none'],
        code_challenge_methods_supported: ['S256'],
        token_endpoint_auth_methods_supported: ['client_secret_basic'],
      });
    if (req.method === 'GET' && url.pathname === '/jwks') return json(200, { keys: [publicJwk] });
    if (req.method === 'POST' && url.pathname === '/token') {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const form = new URLSearchParams(Buffer.concat(chunks).toString());
        tokenRequests.push({
          code: form.get('code'),
          codeVerifier: form.get('code_verifier'),
          redirectUri: form.get('redirect_uri'),
          authorization: req.headers.authorization ?? null,
        });
        const now = Math.floor(Date.now() / 1000);
        const claims = {
          iss: issuer,
          sub: 'fake-person-1',
          aud: clientId,
          iat: now,
          exp: now + 300,
          nonce,
          name: 'Персона Из Другого Провайдера',
          ...next.claims,
        };
        const how = next;
        next = { claims: {}, foreign: false, unsigned: false };
        sign(claims, how).then(
          (idToken) =>
            json(200, {
              access_token: 'at-' + now,
              token_type: 'Bearer',
              expires_in: 300,
              id_token: idToken,
            }),
          () => json(500, { error: 'server_error' }),
        );
      });
      return;
    }
    json(404, { error: 'not_found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    get issuer() {
      return issuer;
    },
    clientId,
    clientSecret,
    nextIdToken(claims, opts = {}) {
      next = { claims, foreign: !!opts.signWithForeignKey, unsigned: !!opts.unsigned };
    },
    setExpectedNonce(n) {
      nonce = n;
    },
    tokenRequests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
