/**
 * The part of oidc-provider 9's API kubeward uses. The package ships no
 * TypeScript types, so this file declares exactly that surface, loosely where
 * oidc-provider hands over its own objects.
 */
declare module "oidc-provider" {
  import type { IncomingMessage, ServerResponse } from "node:http";

  /** A stored oidc-provider object (Grant, tokens, codes). */
  export interface OidcModel {
    jti: string;
    kind: string;
    grantId?: string;
    accountId?: string;
    clientId?: string;
    scope?: string;
    consumed?: number;
    iiat?: number;
    iat?: number;
    [key: string]: unknown;
  }

  export interface GrantModel extends OidcModel {
    addOIDCScope(scope: string): void;
    addOIDCClaims(claims: readonly string[]): void;
    addResourceScope(resource: string, scope: string): void;
    save(): Promise<string>;
    destroy(): Promise<void>;
  }

  export interface Interaction {
    uid: string;
    prompt: { name: string; reasons: string[]; details: Record<string, unknown> };
    params: Record<string, unknown>;
    result?: Record<string, unknown>;
    grantId?: string;
    session?: { accountId?: string };
    returnTo: string;
    exp: number;
  }

  /** Koa's context with oidc-provider's `oidc` bag; kept loose on purpose. */
  export interface OidcContext {
    method: string;
    path: string;
    status: number;
    body: unknown;
    req: IncomingMessage;
    res: ServerResponse;
    get(header: string): string;
    set(header: string, value: string): void;
    type: string;
    oidc: {
      params?: Record<string, unknown>;
      client?: OidcClient;
      entities: Record<string, OidcModel | undefined>;
      route?: string;
      issuer: string;
      provider: Provider;
    };
  }

  export interface OidcClient {
    clientId: string;
    clientSecret?: string;
    clientName?: string;
    redirectUris: string[];
    grantTypeAllowed(type: string): boolean;
    [key: string]: unknown;
  }

  export class OIDCProviderError extends Error {
    constructor(status: number, message: string);
    error: string;
    error_description?: string;
    status: number;
    statusCode: number;
    expose: boolean;
  }

  export const errors: {
    OIDCProviderError: typeof OIDCProviderError;
    InvalidGrant: new (description?: string) => OIDCProviderError;
    InvalidRequest: new (description?: string) => OIDCProviderError;
    InvalidTarget: new (description?: string) => OIDCProviderError;
    UnauthorizedClient: new (description?: string) => OIDCProviderError;
    AccessDenied: new (description?: string) => OIDCProviderError;
    InvalidScope: new (description?: string, scope?: string) => OIDCProviderError;
    CustomOIDCProviderError: new (error: string, description?: string) => OIDCProviderError;
  };

  export const interactionPolicy: {
    base(): Array<{ name: string; checks: { add(check: unknown, index?: number): void } }>;
    Check: new (reason: string, description: string, check: (ctx: OidcContext) => boolean | Promise<boolean>) => unknown;
  };

  export interface TokenConstructor<T> {
    new (fields: Record<string, unknown>): T;
    find(value: string, options?: { ignoreExpiration?: boolean }): Promise<T | undefined>;
  }

  /** An ID token being built: the claims it was made with, extra claims on top, then signed by `issue`. */
  export interface IdTokenInstance {
    readonly available: Record<string, unknown>;
    set(key: string, value: unknown): void;
    scope: string;
    issue(options: { use: string }): Promise<string>;
  }

  export interface IssuableToken extends OidcModel {
    save(): Promise<string>;
    expiration: number;
  }

  export class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>);
    /** The request being handled, from oidc-provider's AsyncLocalStorage. */
    static readonly ctx: OidcContext | undefined;
    readonly issuer: string;
    proxy: boolean;
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    use(middleware: (ctx: OidcContext, next: () => Promise<void>) => Promise<void>): void;
    on(event: string, listener: (...args: unknown[]) => void): void;
    registerGrantType(
      name: string,
      handler: (ctx: OidcContext, next: () => Promise<void>) => Promise<void>,
      params?: readonly string[],
    ): void;
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<Interaction>;
    interactionResult(req: IncomingMessage, res: ServerResponse, result: Record<string, unknown>, options?: { mergeWithLastSubmission?: boolean }): Promise<string>;
    interactionFinished(req: IncomingMessage, res: ServerResponse, result: Record<string, unknown>, options?: { mergeWithLastSubmission?: boolean }): Promise<void>;
    Grant: TokenConstructor<GrantModel>;
    Interaction: { find(uid: string): Promise<(Interaction & { persist(): Promise<string> }) | undefined> };
    AccessToken: TokenConstructor<IssuableToken>;
    RefreshToken: TokenConstructor<IssuableToken>;
    Client: { prototype: Record<string, unknown>; find(id: string): Promise<OidcClient | undefined> };
    IdToken: {
      new (claims: Record<string, unknown>, options: { ctx?: OidcContext; client?: OidcClient }): IdTokenInstance;
      prototype: IdTokenInstance;
    };
  }

  export default Provider;
}
