/**
 * The authorization code flow with PKCE through the user's browser and a
 * loopback redirect server (RFC 8252), as kubelogin's default flow.
 */
import * as oidc from "openid-client";
import { asLoginError } from "../issuer-client.ts";
import { startLoopbackServer } from "../loopback-server.ts";
import { scopeOf, type GrantContext, type TokenResponse } from "./grant.ts";

/** Logs in through the browser; the browser is opened (or the URL printed) once. */
export async function browserGrant(ctx: GrantContext): Promise<TokenResponse> {
  const server = await startLoopbackServer(ctx.options.listenAddresses);
  try {
    const redirectUri = `http://${ctx.options.redirectHostname}:${server.port}`;
    const { url, checks } = await authorizationRequest(ctx, redirectUri);
    await showUrl(ctx, url.href);
    const callback = await server.callback(ctx.signal);
    try {
      const tokens = await exchange(ctx, new URL(callback.pathAndQuery, redirectUri), redirectUri, checks);
      callback.respond(true, "You are logged in. You may close this window and go back to the terminal.");
      return tokens;
    } catch (e) {
      const err = asLoginError(e);
      callback.respond(false, `${err.message}${err.detail === undefined ? "" : ` (${err.detail})`}.`);
      throw err;
    }
  } finally {
    await server.close();
  }
}

/** The PKCE, state and nonce values one authorization request is checked against. */
export interface Checks {
  readonly pkceCodeVerifier: string;
  readonly expectedState: string;
  readonly expectedNonce: string;
}

/**
 * Builds the authorization URL (code, PKCE S256, state, nonce) for
 * `redirectUri`. With offline_access it asks for consent, as OpenID Connect
 * Core §11 requires, unless --oidc-auth-request-extra-params sets a prompt.
 */
export async function authorizationRequest(ctx: GrantContext, redirectUri: string): Promise<{ url: URL; checks: Checks }> {
  const checks = { pkceCodeVerifier: oidc.randomPKCECodeVerifier(), expectedState: oidc.randomState(), expectedNonce: oidc.randomNonce() };
  const consent = ctx.options.scopes.includes("offline_access") ? { prompt: "consent" } : {};
  const url = oidc.buildAuthorizationUrl(ctx.config, {
    ...consent,
    ...ctx.options.authRequestExtraParams,
    redirect_uri: redirectUri,
    scope: scopeOf(ctx),
    code_challenge: await oidc.calculatePKCECodeChallenge(checks.pkceCodeVerifier),
    code_challenge_method: "S256",
    state: checks.expectedState,
    nonce: checks.expectedNonce,
  });
  return { url, checks };
}

/** Opens the browser at `url`, or prints it when that is off or fails. */
export async function showUrl(ctx: GrantContext, url: string): Promise<void> {
  if (ctx.openBrowser !== undefined && (await ctx.openBrowser(url))) {
    ctx.stderr(`kubeward login: opened the browser to log in at ${ctx.options.issuerUrl}; if it did not open, visit:\n${url}\n`);
    return;
  }
  ctx.stderr(`kubeward login: open this URL in your browser to log in:\n${url}\n`);
}

/**
 * Trades the code for tokens. openid-client derives redirect_uri from the
 * callback URL, which URL parsing gives a trailing slash; the token request
 * must repeat the authorization request's redirect_uri exactly, so it is
 * put back (openid-client documents this use of customFetch).
 */
export async function exchange(ctx: GrantContext, callbackUrl: URL, redirectUri: string, checks: Checks): Promise<TokenResponse> {
  const base: oidc.CustomFetch = ctx.config[oidc.customFetch] ?? ((url, init) => fetch(url, init as RequestInit));
  ctx.config[oidc.customFetch] = (url, init) => {
    if (init.body instanceof URLSearchParams && init.body.get("grant_type") === "authorization_code") init.body.set("redirect_uri", redirectUri);
    return base(url, init);
  };
  try {
    return await oidc.authorizationCodeGrant(ctx.config, callbackUrl, checks);
  } finally {
    ctx.config[oidc.customFetch] = base;
  }
}
