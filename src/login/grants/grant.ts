/** What every grant gets to do its work, and what it hands back. */
import type * as oidc from "openid-client";
import type { LoginOptions } from "../login-options.ts";
import type { OpenBrowser } from "../browser.ts";
import type { Prompt } from "../prompt.ts";

/** The token endpoint's answer, as openid-client returns it. */
export type TokenResponse = oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;

/** The inputs of one login. */
export interface GrantContext {
  readonly config: oidc.Configuration;
  readonly options: LoginOptions;
  /** Aborts when --authentication-timeout passes. */
  readonly signal: AbortSignal;
  readonly stderr: (text: string) => void;
  /** Undefined with --skip-open-browser: the URL is printed instead. */
  readonly openBrowser: OpenBrowser | undefined;
  readonly prompt: Prompt;
  /** May the user be asked on the terminal (kubectl's spec.interactive)? */
  readonly interactive: boolean;
  /** Is stderr a terminal (for the device flow's QR code)? */
  readonly stderrIsTTY: boolean;
}

/** A way of getting tokens. */
export type Grant = (ctx: GrantContext) => Promise<TokenResponse>;

/** The scope parameter: the options' scopes, space-separated. */
export function scopeOf(ctx: GrantContext): string {
  return ctx.options.scopes.join(" ");
}
