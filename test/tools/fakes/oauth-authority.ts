/**
 * The OAuth2 authorization server inside each provider fake (RFC 6749,
 * RFC 7636): one registered client, one-time codes bound to the client,
 * redirect URI and PKCE challenge, access and refresh tokens per user, and
 * revocation. Each fake renders its answers in its provider's own format.
 */
import { createHash, randomBytes } from "node:crypto";
import type { FakeRequest } from "./fake-https.ts";

export interface AuthorityOptions {
  readonly clientID: string;
  readonly clientSecret: string;
  readonly redirectURI: string;
  /** Prefix of issued tokens (`gho_`, `glpat-`…). */
  readonly tokenPrefix: string;
  /** Issue refresh tokens (and rotate them on use). */
  readonly refreshTokens: boolean;
  /** Seconds an access token lives; undefined: forever (GitHub OAuth apps). */
  readonly accessTokenSeconds?: number;
}

interface Grant { readonly user: string; readonly scope: string }
interface CodeGrant extends Grant { readonly redirectURI: string; readonly challenge: string | undefined; readonly method: string | undefined }

/** An RFC 6749 §5.2 error, before the fake renders it. */
export interface OAuthError { readonly error: string; readonly description: string }

/** What a successful token request gets. */
export interface IssuedTokens extends Grant {
  readonly access_token: string;
  readonly refresh_token?: string;
  readonly expires_in?: number;
}

export class OAuthAuthority {
  readonly options: AuthorityOptions;
  readonly #redirectURIs: string[];
  readonly #codes = new Map<string, CodeGrant>();
  readonly #access = new Map<string, Grant>();
  readonly #refresh = new Map<string, Grant>();
  /** Every token and code handed out, for the tests' log checks. */
  readonly issued: string[] = [];

  constructor(options: AuthorityOptions) {
    this.options = options;
    this.#redirectURIs = [options.redirectURI];
  }

  /** Registers another callback URL for the client (one known only once kubeward's issuer listens). */
  allowRedirectURI(uri: string): void {
    this.#redirectURIs.push(uri);
  }

  /**
   * The redirect for an authorization request by `user` (the fake's signed-in
   * browser); an error for a request the client could not have sent. The
   * caller checks the query's own rules (client_id, redirect_uri) first.
   */
  authorize(query: URLSearchParams, user: string, deny: boolean): URL | OAuthError {
    if (query.get("client_id") !== this.options.clientID) return { error: "invalid_client", description: "unknown client_id" };
    const redirect = query.get("redirect_uri") ?? this.options.redirectURI;
    if (!this.#redirectURIs.includes(redirect)) return { error: "redirect_uri_mismatch", description: "The redirect_uri MUST match the registered callback URL for this application." };
    const back = new URL(redirect);
    const state = query.get("state");
    if (deny) {
      back.searchParams.set("error", "access_denied");
      back.searchParams.set("error_description", "The user has denied your application access.");
    } else {
      const code = this.#new("code_");
      this.#codes.set(code, { user, scope: query.get("scope") ?? "", redirectURI: redirect, challenge: query.get("code_challenge") ?? undefined, method: query.get("code_challenge_method") ?? undefined });
      back.searchParams.set("code", code);
    }
    if (state !== null) back.searchParams.set("state", state);
    return back;
  }

  /** The client's credentials from HTTP Basic or the form; an error unless they are the registered ones. */
  clientError(req: FakeRequest, form: URLSearchParams): OAuthError | undefined {
    const basic = /^Basic (.+)$/.exec(String(req.headers.authorization ?? ""));
    let id = form.get("client_id");
    let secret = form.get("client_secret");
    if (basic?.[1] !== undefined) {
      const [u, p] = Buffer.from(basic[1], "base64").toString("utf8").split(":");
      id = decodeURIComponent((u ?? "").replace(/\+/g, " "));
      secret = decodeURIComponent((p ?? "").replace(/\+/g, " "));
    }
    if (id !== this.options.clientID || secret !== this.options.clientSecret) {
      return { error: "invalid_client", description: "The client_id and/or client_secret passed are incorrect." };
    }
    return undefined;
  }

  /** Redeems a code (once); checks redirect URI and PKCE verifier. */
  redeemCode(form: URLSearchParams): IssuedTokens | OAuthError {
    const code = form.get("code") ?? "";
    const grant = this.#codes.get(code);
    this.#codes.delete(code);
    const bad = { error: "invalid_grant", description: "The code passed is incorrect or expired." };
    if (grant === undefined) return bad;
    if ((form.get("redirect_uri") ?? grant.redirectURI) !== grant.redirectURI) return { error: "redirect_uri_mismatch", description: "The redirect_uri does not match the authorization request's." };
    if (grant.challenge !== undefined) {
      const verifier = form.get("code_verifier") ?? "";
      if (grant.method !== "S256" || createHash("sha256").update(verifier).digest("base64url") !== grant.challenge) return { error: "invalid_grant", description: "The code_verifier does not match the code_challenge." };
    }
    return this.#issue(grant);
  }

  /** Redeems a refresh token, rotating it. */
  redeemRefresh(form: URLSearchParams): IssuedTokens | OAuthError {
    const token = form.get("refresh_token") ?? "";
    const grant = this.#refresh.get(token);
    if (grant === undefined) return { error: "invalid_grant", description: "The refresh token is invalid, expired or revoked." };
    this.#refresh.delete(token);
    return this.#issue(grant);
  }

  /** Issues tokens for a grant the fake decided itself (a service account's JWT assertion). */
  issueFor(user: string, scope: string): IssuedTokens {
    return this.#issue({ user, scope });
  }

  /** Who an access token belongs to, and its scope; undefined for an unknown or revoked one. */
  grantOf(accessToken: string | undefined): Grant | undefined {
    return accessToken === undefined ? undefined : this.#access.get(accessToken);
  }

  /** Revokes every token of `user` (the user was removed, or revoked the app). */
  revokeUser(user: string): void {
    for (const map of [this.#access, this.#refresh]) {
      for (const [token, grant] of map) if (grant.user === user) map.delete(token);
    }
  }

  #issue(grant: Grant): IssuedTokens {
    const access = this.#new(this.options.tokenPrefix);
    this.#access.set(access, { user: grant.user, scope: grant.scope });
    let refresh: string | undefined;
    if (this.options.refreshTokens) {
      refresh = this.#new(`${this.options.tokenPrefix}r_`);
      this.#refresh.set(refresh, { user: grant.user, scope: grant.scope });
    }
    const seconds = this.options.accessTokenSeconds;
    return { user: grant.user, scope: grant.scope, access_token: access, ...(refresh !== undefined ? { refresh_token: refresh } : {}), ...(seconds !== undefined ? { expires_in: seconds } : {}) };
  }

  #new(prefix: string): string {
    const value = prefix + randomBytes(18).toString("base64url");
    this.issued.push(value);
    return value;
  }
}

export function isOAuthError(x: unknown): x is OAuthError {
  return typeof x === "object" && x !== null && "error" in x;
}
