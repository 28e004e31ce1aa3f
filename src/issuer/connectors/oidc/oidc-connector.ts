/**
 * The `oidc` connector: logs users in at any upstream OpenID provider (Okta,
 * Google, Keycloak, Dex…) with the code flow, PKCE (S256), state and nonce,
 * through openid-client, and re-checks them with the upstream refresh token.
 */
import * as oidc from "openid-client";
import { KubewardError } from "../../../errors.ts";
import type { Logger } from "../../../log/logger.ts";
import type { CallbackConnector, CallbackState, ConnectorDeps, Identity, RefreshConnector, Scopes } from "../connector.ts";
import { identityFromClaims } from "./oidc-claims.ts";
import { checkOidcConfig, type OidcConfig } from "./oidc-config.ts";
import { lazyDiscovery, upstreamError, upstreamHttp, type Phase, type UpstreamHttp } from "./oidc-upstream.ts";

/** What an oidc identity keeps to refresh: the upstream refresh token (stored encrypted by the issuer). */
interface OidcConnectorData {
  readonly refreshToken: string;
}

const DEFAULT_SCOPES = ["profile", "email"] as const;

/** The upstream scopes: `openid`, the configured ones, and `offline_access` when wanted and offered. */
function upstreamScopes(config: OidcConfig, scopes: Scopes, offered: readonly string[]): string[] {
  const list = ["openid", ...(config.scopes ?? DEFAULT_SCOPES).filter((s) => s !== "openid")];
  if (scopes.offlineAccess && offered.includes("offline_access") && !list.includes("offline_access")) list.push("offline_access");
  return list;
}

/** Authorization request parameters beyond scope, state, nonce and PKCE. */
function extraParams(config: OidcConfig, scopes: Scopes, offered: readonly string[]): Record<string, string> {
  const params: Record<string, string> = {};
  const prompt = config.promptType ?? "consent";
  if (prompt !== "") params["prompt"] = prompt;
  // Google offers no offline_access scope; it asks for access_type=offline instead.
  if (scopes.offlineAccess && !offered.includes("offline_access")) params["access_type"] = "offline";
  const domains = config.hostedDomains;
  if (domains !== undefined) params["hd"] = domains.length === 1 ? (domains[0] ?? "*") : "*";
  return params;
}

function savedValue(saved: CallbackState, key: string): string {
  const value = saved[key];
  if (value === undefined || value === "") throw new KubewardError("connector_callback_invalid", `oidc connector: no saved ${key} for this callback`);
  return value;
}

type Tokens = oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;

/** An oidc connector over one upstream; see {@link openOidcConnector}. */
class OidcConnector implements CallbackConnector, RefreshConnector {
  readonly type = "oidc";
  readonly id: string;
  readonly name: string;
  readonly #config: OidcConfig;
  readonly #http: UpstreamHttp;
  readonly #log: Logger;
  readonly #discovered: () => Promise<oidc.Configuration>;

  constructor(id: string, name: string, config: OidcConfig, http: UpstreamHttp, deps: ConnectorDeps) {
    this.id = id;
    this.name = name;
    this.#config = config;
    this.#http = http;
    this.#log = deps.logger.child({ connector: id });
    this.#discovered = lazyDiscovery(config, http, deps.clock, this.#log);
  }

  /** Discovers now; a failure is logged and retried at the next use. */
  prime(): void {
    this.#discovered().catch(() => undefined);
  }

  async loginURL(scopes: Scopes, callbackURL: string, state: string): Promise<{ url: string; saved: CallbackState }> {
    const c = await this.#discovered();
    const offered = c.serverMetadata().scopes_supported ?? [];
    const verifier = oidc.randomPKCECodeVerifier();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(c, {
      redirect_uri: this.#config.redirectURI ?? callbackURL,
      scope: upstreamScopes(this.#config, scopes, offered).join(" "),
      state,
      nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: "S256",
      ...extraParams(this.#config, scopes, offered),
    });
    return { url: url.href, saved: { verifier, nonce, state } };
  }

  async handleCallback(scopes: Scopes, callbackURL: string, request: URL, saved: CallbackState): Promise<Identity> {
    try {
      const c = await this.#discovered();
      const current = new URL(this.#config.redirectURI ?? callbackURL);
      for (const [k, v] of request.searchParams) current.searchParams.append(k, v);
      const tokens = await oidc.authorizationCodeGrant(c, current, {
        pkceCodeVerifier: savedValue(saved, "verifier"),
        expectedNonce: savedValue(saved, "nonce"),
        expectedState: savedValue(saved, "state"),
        idTokenExpected: true,
      });
      const keep = scopes.offlineAccess ? tokens.refresh_token : undefined;
      const identity = await this.#identity(c, tokens, scopes, keep);
      this.#log.info({ user: identity.username, refreshable: keep !== undefined }, "oidc login");
      return identity;
    } catch (e) {
      throw this.#failed(e, "callback");
    }
  }

  async refresh(scopes: Scopes, previous: Identity): Promise<Identity> {
    const refreshToken = (previous.connectorData as Partial<OidcConnectorData> | undefined)?.refreshToken;
    if (typeof refreshToken !== "string") {
      throw new KubewardError("connector_refused", "oidc connector refresh: no upstream refresh token was kept (offline access not granted upstream)");
    }
    try {
      const c = await this.#discovered();
      const tokens = await oidc.refreshTokenGrant(c, refreshToken);
      const current = await this.#identity(c, tokens, scopes, tokens.refresh_token ?? refreshToken);
      if (current.userID !== previous.userID) throw new KubewardError("connector_refused", "oidc connector refresh: the upstream now names another user");
      return current;
    } catch (e) {
      throw this.#failed(e, "refresh");
    }
  }

  close(): Promise<void> {
    return this.#http.close();
  }

  /**
   * The identity in the ID token (and userinfo, when enabled), keeping
   * `refreshToken` in connectorData. A refresh answered without an ID token
   * (allowed by OIDC Core §12.2) reads the userinfo endpoint instead; the
   * caller then checks it names the same user.
   */
  async #identity(c: oidc.Configuration, tokens: Tokens, scopes: Scopes, refreshToken: string | undefined): Promise<Identity> {
    const idToken = tokens.claims();
    let claims: Record<string, unknown>;
    if (idToken !== undefined) {
      claims = { ...idToken };
      if (this.#config.getUserInfo === true) claims = { ...claims, ...(await oidc.fetchUserInfo(c, tokens.access_token, idToken.sub)) };
    } else if (refreshToken !== undefined && c.serverMetadata().userinfo_endpoint !== undefined) {
      claims = { ...(await oidc.fetchUserInfo(c, tokens.access_token, oidc.skipSubjectCheck)) };
    } else {
      throw new KubewardError("connector_callback_invalid", "oidc connector: the upstream sent no ID token");
    }
    const base = identityFromClaims(claims, this.#config, scopes);
    return refreshToken === undefined ? base : { ...base, connectorData: { refreshToken } satisfies OidcConnectorData };
  }

  #failed(e: unknown, phase: Phase): KubewardError {
    const err = upstreamError(e, phase);
    this.#log.warn({ code: err.code, reason: err.detail }, `oidc ${phase} failed`);
    return err;
  }
}

/**
 * Opens an oidc connector. Discovery starts now and, if the upstream is not
 * reachable yet, runs again at the next login, so kubeward can start while
 * its upstream is down.
 *
 * @throws {@link ConfigError} (paths relative to `config`) for unreadable root CAs or conflicting fields.
 */
export async function openOidcConnector(id: string, name: string, config: OidcConfig, deps: ConnectorDeps): Promise<CallbackConnector & RefreshConnector> {
  const http = upstreamHttp(await checkOidcConfig(config), deps.fetch);
  const connector = new OidcConnector(id, name, config, http, deps);
  connector.prime();
  return connector;
}

/** The registry entry for `oidc`. */
