/**
 * The grants with no browser: the resource owner password grant (for clients
 * the issuer lets use it) and client credentials (a machine identity).
 */
import * as oidc from "openid-client";
import { KubewardError } from "../../errors.ts";
import { scopeOf, type GrantContext, type TokenResponse } from "./grant.ts";

/** Logs in with --username and --password, asking for the password on the terminal when it is not given. */
export async function passwordGrant(ctx: GrantContext): Promise<TokenResponse> {
  const username = ctx.options.username;
  if (username === undefined) throw new KubewardError("login_failed", "--username is required for the password grant");
  let password = ctx.options.password;
  if (password === undefined) {
    if (!ctx.interactive) throw new KubewardError("login_needs_terminal", "give --password, or run kubectl on a terminal to be asked for it");
    password = await ctx.prompt.secret(`Password for ${username}: `, ctx.signal);
  }
  return oidc.genericGrantRequest(ctx.config, "password", { username, password, scope: scopeOf(ctx) });
}

/**
 * Gets tokens for the client itself. `openid` is not sent: there is no end
 * user, so the token kubectl gets is the access token (or an ID token when
 * the issuer issues one anyway).
 */
export async function clientCredentialsGrant(ctx: GrantContext): Promise<TokenResponse> {
  const scope = ctx.options.scopes.filter((s) => s !== "openid").join(" ");
  return oidc.clientCredentialsGrant(ctx.config, scope === "" ? {} : { scope });
}
