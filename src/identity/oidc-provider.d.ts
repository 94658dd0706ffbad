/**
 * The part of `oidc-provider` (v9, which ships no type declarations) that the embedded development
 * provider uses. Kept deliberately small: add a member here when dev-provider.ts starts using it.
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export type AnyObject = Record<string, unknown>;

  /** The Koa context the provider hands to its configuration hooks (the members used here). */
  export interface KoaContextWithOIDC {
    body: unknown;
    type: string;
    status: number;
    host: string;
    set(field: string, value: string): void;
    oidc: {
      provider: Provider;
      client?: { clientId: string; clientName?: string };
      result?: AnyObject;
      session?: { accountId?: string };
    };
  }

  export interface Account {
    accountId: string;
    claims(use: string, scope: string, claims: AnyObject, rejected: string[]): Promise<AnyObject> | AnyObject;
  }

  export type FindAccount = (
    ctx: KoaContextWithOIDC,
    sub: string,
    token?: unknown,
  ) => Promise<Account | undefined> | Account | undefined;

  export interface AdapterPayload extends AnyObject {
    uid?: string;
    grantId?: string;
    userCode?: string;
    consumed?: number;
  }

  export interface Adapter {
    upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void>;
    find(id: string): Promise<AdapterPayload | undefined>;
    findByUserCode(userCode: string): Promise<AdapterPayload | undefined>;
    findByUid(uid: string): Promise<AdapterPayload | undefined>;
    consume(id: string): Promise<void>;
    destroy(id: string): Promise<void>;
    revokeByGrantId(grantId: string): Promise<void>;
  }

  export interface ClientMetadata extends AnyObject {
    client_id: string;
    client_secret?: string;
    redirect_uris: string[];
    post_logout_redirect_uris?: string[];
    response_types?: string[];
    grant_types?: string[];
    token_endpoint_auth_method?: string;
    id_token_signed_response_alg?: string;
  }

  export interface Configuration extends AnyObject {
    adapter?: new (name: string) => Adapter;
    clients?: ClientMetadata[];
    findAccount?: FindAccount;
    jwks?: { keys: AnyObject[] };
    claims?: Record<string, string[]>;
    scopes?: string[];
    responseTypes?: string[];
    pkce?: { required?: (ctx: KoaContextWithOIDC, client: unknown) => boolean };
    conformIdTokenClaims?: boolean;
    cookies?: {
      names?: Record<string, string>;
      long?: AnyObject;
      short?: AnyObject;
      keys?: string[];
    };
    interactions?: {
      policy?: Prompt[];
      url?: (ctx: KoaContextWithOIDC, interaction: { uid: string }) => string | Promise<string>;
    };
    features?: AnyObject;
    ttl?: Record<string, number>;
    renderError?: (ctx: KoaContextWithOIDC, out: Record<string, string>, error: Error) => Promise<void>;
    clientBasedCORS?: (ctx: KoaContextWithOIDC, origin: string, client: unknown) => boolean;
  }

  export interface InteractionDetails {
    uid: string;
    prompt: { name: string; reasons: string[]; details: AnyObject };
    params: AnyObject & { client_id?: string; scope?: string };
    session?: { accountId?: string };
    returnTo: string;
  }

  export interface InteractionResults extends AnyObject {
    login?: { accountId: string; remember?: boolean };
    consent?: { grantId: string };
    error?: string;
    error_description?: string;
  }

  export interface Grant {
    addOIDCScope(scope: string): void;
    addOIDCClaims(claims: string[]): void;
    save(): Promise<string>;
  }

  export class Provider {
    constructor(issuer: string, configuration?: Configuration);
    readonly issuer: string;
    /** Koa's "trust X-Forwarded-* headers" switch */
    proxy: boolean;
    Grant: new (properties: { accountId: string; clientId: string }) => Grant;
    callback(): (req: IncomingMessage, res: ServerResponse) => Promise<void>;
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>;
    interactionResult(
      req: IncomingMessage,
      res: ServerResponse,
      result: InteractionResults,
      options?: { mergeWithLastSubmission?: boolean },
    ): Promise<string>;
    on(event: string, listener: (ctx: KoaContextWithOIDC, error: Error) => void): this;
  }

  export namespace interactionPolicy {
    class Check {
      constructor(
        reason: string,
        description: string,
        check: (ctx: KoaContextWithOIDC) => symbol | boolean | Promise<symbol | boolean>,
      );
      static readonly REQUEST_PROMPT: symbol;
      static readonly NO_NEED_TO_PROMPT: symbol;
    }
    function base(): Prompt[] & { get(name: string): Prompt | undefined };
  }

  export interface Prompt {
    name: string;
    checks: interactionPolicy.Check[] & { add(check: interactionPolicy.Check, index?: number): void };
  }

  export default Provider;
}
