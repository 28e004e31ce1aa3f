/**
 * The browser half of the OAuth2 code flow (RFC 6749 §4.1): the
 * authorization URL with `state` and PKCE (RFC 7636, S256), and the checks on
 * the callback before its code is redeemed.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { KubewardError } from "../../../errors.ts";
import type { CallbackState } from "../connector.ts";

/** The authorization URL and what the callback needs back. */
export interface AuthorizationRequest {
  readonly url: string;
  readonly saved: CallbackState;
}

/**
 * The authorization URL: `params` (client_id, redirect_uri, scope…) plus
 * `response_type=code`, `state` and, with `pkce`, an S256 challenge whose
 * verifier is saved for the callback.
 */
export function authorizationRequest(endpoint: string, params: Readonly<Record<string, string>>, state: string, pkce: boolean): AuthorizationRequest {
  const url = new URL(endpoint);
  url.searchParams.set("response_type", "code");
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  url.searchParams.set("state", state);
  const saved: Record<string, string> = { state };
  if (pkce) {
    const verifier = randomBytes(32).toString("base64url");
    url.searchParams.set("code_challenge", createHash("sha256").update(verifier).digest("base64url"));
    url.searchParams.set("code_challenge_method", "S256");
    saved["verifier"] = verifier;
  }
  return { url: url.href, saved };
}

function sameString(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * The code in the callback, after checking it: an `error` from the upstream
 * (the user said no) is `connector_refused`; a missing or different `state`
 * (CSRF), or no code, is `connector_callback_invalid`.
 */
export function callbackCode(provider: string, request: URL, saved: CallbackState): string {
  const params = request.searchParams;
  const expected = saved["state"];
  const state = params.get("state");
  if (expected === undefined || expected === "" || state === null || !sameString(state, expected)) {
    throw new KubewardError("connector_callback_invalid", `${provider}: the callback's state does not match the login's (possible CSRF)`);
  }
  const error = params.get("error");
  if (error !== null) {
    const description = params.get("error_description");
    throw new KubewardError("connector_refused", `${provider}: the upstream answered ${error}${description ? `: ${description}` : ""}`);
  }
  const code = params.get("code");
  if (code === null || code === "") throw new KubewardError("connector_callback_invalid", `${provider}: the callback carries no code`);
  return code;
}
