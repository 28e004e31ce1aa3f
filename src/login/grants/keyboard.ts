/**
 * The authorization code flow for a machine without a local browser: the URL
 * is printed, the user logs in elsewhere and pastes the code (or the whole
 * redirected URL) back on the terminal.
 */
import { KubewardError } from "../../errors.ts";
import { authorizationRequest, exchange } from "./browser.ts";
import type { GrantContext, TokenResponse } from "./grant.ts";

/** Logs in with a pasted authorization code. */
export async function keyboardGrant(ctx: GrantContext): Promise<TokenResponse> {
  if (!ctx.interactive) throw new KubewardError("login_needs_terminal", "--grant-type=authcode-keyboard reads the code from the terminal");
  const redirectUri = ctx.options.keyboardRedirectUrl;
  const { url, checks } = await authorizationRequest(ctx, redirectUri);
  ctx.stderr(`kubeward login: open this URL in a browser, log in, and paste the code it shows:\n${url.href}\n`);
  const pasted = await ctx.prompt.line("Enter the code: ", ctx.signal);
  return exchange(ctx, callbackUrl(ctx, pasted, redirectUri, checks.expectedState), redirectUri, checks);
}

/**
 * The redirect the user's paste stands for: a pasted URL as it is; a bare code
 * with the state this run sent (and `iss`, when the issuer adds it to
 * redirects), as the issuer would have redirected.
 */
function callbackUrl(ctx: GrantContext, pasted: string, redirectUri: string, state: string): URL {
  if (/^https?:\/\//.test(pasted)) return new URL(pasted);
  if (pasted === "") throw new KubewardError("login_failed", "no code was entered");
  const url = new URL(redirectUri);
  url.searchParams.set("code", pasted);
  url.searchParams.set("state", state);
  const meta = ctx.config.serverMetadata();
  if (meta.authorization_response_iss_parameter_supported === true) url.searchParams.set("iss", meta.issuer);
  return url;
}
