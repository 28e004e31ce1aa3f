/**
 * One callback connector for every OAuth2 provider: the code flow (state,
 * PKCE), token redemption, refresh through the upstream refresh token or the
 * kept access token, and failure logging. A provider adds its URLs,
 * parameters and how tokens turn into an identity.
 */
import { KubewardError, isKubewardError } from "../../../errors.ts";
import type { Clock } from "../../../clock.ts";
import type { Logger } from "../../../log/logger.ts";
import type { CallbackConnector, CallbackState, ConnectorDeps, Identity, RefreshConnector, Scopes } from "../connector.ts";
import { authorizationRequest, callbackCode } from "./flow.ts";
import { redeemCode, redeemRefreshToken, type TokenEndpoint, type Tokens } from "./tokens.ts";
import type { UpstreamHttp } from "./upstream-http.ts";

/** What a provider adds to the shared code flow. */
export interface OAuth2Provider {
  /** The registry type, also the prefix of error details (`github`). */
  readonly type: string;
  readonly authorizationURL: string;
  readonly token: TokenEndpoint;
  /** Send a PKCE challenge (S256). */
  readonly pkce: boolean;
  /** kubeward's callback URL as registered upstream; default: the one the issuer passes. */
  readonly redirectURI?: string | undefined;
  readonly http: UpstreamHttp;
  /** Authorization parameters besides response_type, client_id, redirect_uri, state and PKCE. */
  authParams(scopes: Scopes): Record<string, string>;
  /** The identity `tokens` stand for; rejects with a KubewardError when the user may not log in. */
  identify(tokens: Tokens, scopes: Scopes): Promise<Omit<Identity, "connectorData">>;
}

/** What an OAuth2 identity keeps to refresh; stored encrypted by the issuer, never logged. */
export interface OAuth2ConnectorData {
  readonly refreshToken?: string;
  /** Kept only when the upstream gave no refresh token (GitHub's tokens do not expire). */
  readonly accessToken?: string;
  readonly expiresAt?: number;
}

function keptTokens(tokens: Tokens): OAuth2ConnectorData {
  if (tokens.refreshToken !== undefined) return { refreshToken: tokens.refreshToken };
  return { accessToken: tokens.accessToken, ...(tokens.expiresAt !== undefined ? { expiresAt: tokens.expiresAt } : {}) };
}

/** A callback and refresh connector over one {@link OAuth2Provider}. */
export class OAuth2Connector implements CallbackConnector, RefreshConnector {
  readonly id: string;
  readonly name: string;
  readonly type: string;
  readonly #provider: OAuth2Provider;
  readonly #clock: Clock;
  readonly #log: Logger;

  constructor(id: string, name: string, provider: OAuth2Provider, deps: ConnectorDeps) {
    this.id = id;
    this.name = name;
    this.type = provider.type;
    this.#provider = provider;
    this.#clock = deps.clock;
    this.#log = deps.logger.child({ connector: id });
  }

  loginURL(scopes: Scopes, callbackURL: string, state: string): Promise<{ url: string; saved: CallbackState }> {
    const p = this.#provider;
    const params = { client_id: p.token.clientID, redirect_uri: p.redirectURI ?? callbackURL, ...p.authParams(scopes) };
    return Promise.resolve(authorizationRequest(p.authorizationURL, params, state, p.pkce));
  }

  async handleCallback(scopes: Scopes, callbackURL: string, request: URL, saved: CallbackState): Promise<Identity> {
    const p = this.#provider;
    try {
      const code = callbackCode(p.type, request, saved);
      const tokens = await redeemCode(p.http, p.token, this.#clock, p.type, code, p.redirectURI ?? callbackURL, saved["verifier"]);
      const identity = await p.identify(tokens, scopes);
      this.#log.info({ user: identity.username, groups: identity.groups.length, refreshable: scopes.offlineAccess }, `${p.type} login`);
      return scopes.offlineAccess ? { ...identity, connectorData: keptTokens(tokens) } : identity;
    } catch (e) {
      throw this.#failed(e, "callback");
    }
  }

  async refresh(scopes: Scopes, previous: Identity): Promise<Identity> {
    try {
      const tokens = await this.#currentTokens((previous.connectorData ?? {}) as OAuth2ConnectorData);
      const identity = await this.#provider.identify(tokens, scopes);
      if (identity.userID !== previous.userID) throw new KubewardError("connector_refused", `${this.type}: the upstream now names another user`);
      this.#log.debug({ user: identity.username, groups: identity.groups.length }, `${this.type} refresh`);
      return { ...identity, connectorData: keptTokens(tokens) };
    } catch (e) {
      throw this.#failed(e, "refresh");
    }
  }

  close(): Promise<void> {
    return this.#provider.http.close();
  }

  /** Fresh tokens from the refresh token, or the kept access token while it is valid. */
  async #currentTokens(kept: OAuth2ConnectorData): Promise<Tokens> {
    const p = this.#provider;
    if (typeof kept.refreshToken === "string") {
      return redeemRefreshToken(p.http, p.token, this.#clock, p.type, kept.refreshToken);
    }
    if (typeof kept.accessToken !== "string") throw new KubewardError("connector_refused", `${p.type}: no upstream token was kept (offline access was not asked for)`);
    if (kept.expiresAt !== undefined && kept.expiresAt <= this.#clock.now()) {
      throw new KubewardError("connector_refused", `${p.type}: the kept access token has expired and the upstream gave no refresh token`);
    }
    return { accessToken: kept.accessToken };
  }

  #failed(e: unknown, phase: "callback" | "refresh"): KubewardError {
    const err = isKubewardError(e) ? e : new KubewardError("internal", `${this.type} ${phase}: ${String(e)}`, { cause: e });
    this.#log.warn({ code: err.code, reason: err.detail }, `${this.type} ${phase} failed`);
    return err;
  }
}
