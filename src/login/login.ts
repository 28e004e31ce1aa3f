/**
 * `kubeward login`'s work: hand back a cached token while it is fresh,
 * otherwise refresh it silently, otherwise log in with the chosen grant;
 * one run at a time per cache key, so parallel kubectl calls log in once.
 */
import * as oidc from "openid-client";
import type { Clock } from "../clock.ts";
import { KubewardError, isKubewardError } from "../errors.ts";
import type { OpenBrowser } from "./browser.ts";
import { isFresh, jwtExpiry } from "./freshness.ts";
import { browserGrant } from "./grants/browser.ts";
import { clientCredentialsGrant, passwordGrant } from "./grants/direct.ts";
import { deviceGrant } from "./grants/device.ts";
import type { Grant, GrantContext, TokenResponse } from "./grants/grant.ts";
import { keyboardGrant } from "./grants/keyboard.ts";
import { asLoginError, discoverIssuer, type IssuerFetch } from "./issuer-client.ts";
import { acquireLock } from "./lock.ts";
import type { GrantType, LoginOptions } from "./login-options.ts";
import type { Prompt } from "./prompt.ts";
import { TokenCache, type CacheKey, type CachedTokens } from "./token-cache.ts";

/** What a login run needs from its surroundings. */
export interface LoginDeps {
  readonly clock: Clock;
  readonly fetch: IssuerFetch;
  readonly stderr: (text: string) => void;
  /** Undefined with --skip-open-browser. */
  readonly openBrowser: OpenBrowser | undefined;
  readonly prompt: Prompt;
  readonly interactive: boolean;
  readonly stderrIsTTY: boolean;
}

const GRANTS: Readonly<Record<Exclude<GrantType, "auto">, Grant>> = {
  authcode: browserGrant,
  "authcode-keyboard": keyboardGrant,
  "device-code": deviceGrant,
  password: passwordGrant,
  "client-credentials": clientCredentialsGrant,
};

/** The cache key of a login: issuer, client id and scopes. */
export function keyOf(options: LoginOptions): CacheKey {
  return { issuer: options.issuerUrl, clientId: options.clientId, scopes: options.scopes };
}

/**
 * Returns a token for kubectl: cached, refreshed or newly logged in.
 *
 * @example
 * ```ts
 * const { token, expiresAt } = await obtainToken(options, deps);
 * io.stdout(execCredential(info.apiVersion, token, expiresAt));
 * ```
 */
export async function obtainToken(options: LoginOptions, deps: LoginDeps): Promise<CachedTokens> {
  const cache = new TokenCache(options.tokenCacheDir);
  const key = keyOf(options);
  const usable = (t: CachedTokens | undefined) => !options.forceRefresh && t !== undefined && isFresh(t.expiresAt, deps.clock.now());
  const before = await cache.read(key);
  if (before !== undefined && usable(before)) return before;
  await cache.ensureDir();
  const release = await acquireLock(`${cache.pathOf(key)}.lock`, {
    clock: deps.clock,
    timeoutMs: options.authenticationTimeoutMs,
    staleMs: options.authenticationTimeoutMs + 60_000,
    onWait: () => deps.stderr("kubeward login: waiting for another kubeward login to finish\n"),
  });
  try {
    const now = await cache.read(key);
    if (now !== undefined && (usable(now) || (options.forceRefresh && now.token !== before?.token))) return now;
    const tokens = await renew(options, deps, now);
    await cache.write(key, tokens);
    return tokens;
  } finally {
    await release();
  }
}

/** Refreshes with the cached refresh token, or logs in when there is none or the issuer refuses it. */
async function renew(options: LoginOptions, deps: LoginDeps, cached: CachedTokens | undefined): Promise<CachedTokens> {
  const config = await discoverIssuer(options, deps.fetch);
  if (cached?.refreshToken !== undefined) {
    try {
      const response = await oidc.refreshTokenGrant(config, cached.refreshToken);
      if (response.id_token === undefined && options.grantType !== "client-credentials") {
        throw new KubewardError("login_failed", "the refresh gave no ID token");
      }
      return toCached(response, deps.clock, cached.refreshToken);
    } catch (e) {
      const err = asLoginError(e);
      if (!isKubewardError(err, "login_failed", "login_denied")) throw err;
      deps.stderr(`kubeward login: the issuer refused the refresh token (${err.detail ?? err.code}); logging in again\n`);
    }
  }
  return toCached(await login(options, deps, config), deps.clock, undefined);
}

/** Runs the chosen grant within --authentication-timeout. */
async function login(options: LoginOptions, deps: LoginDeps, config: oidc.Configuration): Promise<TokenResponse> {
  const timeout = AbortSignal.timeout(options.authenticationTimeoutMs);
  const ctx: GrantContext = { ...deps, config, options, signal: timeout };
  const type = options.grantType === "auto" ? (options.username === undefined ? "authcode" : "password") : options.grantType;
  try {
    return await GRANTS[type](ctx);
  } catch (e) {
    if (timeout.aborted) throw new KubewardError("login_timeout", undefined, { cause: e });
    throw asLoginError(e);
  }
}

/**
 * What is cached from a token response: the ID token (the access token when
 * there is none), its expiry, and the refresh token (the old one when the
 * issuer did not rotate it).
 */
export function toCached(response: TokenResponse, clock: Clock, previousRefresh: string | undefined): CachedTokens {
  const token = response.id_token ?? response.access_token;
  const fromExpiresIn = response.expires_in === undefined ? undefined : clock.now() + response.expires_in * 1000;
  const expiresAt = response.id_token !== undefined ? jwtExpiry(response.id_token) : (jwtExpiry(token) ?? fromExpiresIn);
  return { token, expiresAt, refreshToken: response.refresh_token ?? previousRefresh };
}
