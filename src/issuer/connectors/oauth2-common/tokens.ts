/**
 * The OAuth2 token endpoint (RFC 6749 §4.1.3, §6): redeems a code or a
 * refresh token, reading JSON or form-encoded answers (GitHub answers form
 * unless asked for JSON, and reports errors with HTTP 200 and `error`).
 */
import { KubewardError, type ErrorCode } from "../../../errors.ts";
import type { Clock } from "../../../clock.ts";
import { send, type UpstreamHttp } from "./upstream-http.ts";

/** Where and how kubeward authenticates at the token endpoint. */
export interface TokenEndpoint {
  readonly url: string;
  readonly clientID: string;
  readonly clientSecret: string;
  /**
   * `basic`: HTTP Basic (RFC 6749 §2.3.1); `post`: client_id and client_secret
   * in the form; `auto`: Basic, then the form if the endpoint refuses the
   * client (as Go's oauth2 AuthStyleAutoDetect, which Dex's oauth connector uses).
   */
  readonly auth: "basic" | "post" | "auto";
}

/** What a token endpoint granted. */
export interface Tokens {
  readonly accessToken: string;
  readonly refreshToken?: string;
  /** Milliseconds since the epoch, by the connector's clock. */
  readonly expiresAt?: number;
  readonly idToken?: string;
  /** The scopes granted, when the upstream says. */
  readonly scope?: string;
}

function formEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, "+");
}

function requestInit(ep: TokenEndpoint, auth: "basic" | "post", form: Record<string, string>): RequestInit {
  const headers: Record<string, string> = { accept: "application/json", "content-type": "application/x-www-form-urlencoded" };
  const body = new URLSearchParams(form);
  if (auth === "basic") {
    // RFC 6749 §2.3.1: the id and secret are form-encoded before Basic encoding.
    headers["authorization"] = `Basic ${Buffer.from(`${formEncode(ep.clientID)}:${formEncode(ep.clientSecret)}`).toString("base64")}`;
  } else {
    body.set("client_id", ep.clientID);
    body.set("client_secret", ep.clientSecret);
  }
  return { method: "POST", headers, body: body.toString() };
}

/** The answer's fields, whether JSON or form-encoded. */
async function fields(res: Response): Promise<Record<string, unknown> | undefined> {
  const text = await res.text();
  const type = res.headers.get("content-type") ?? "";
  try {
    if (!type.includes("application/x-www-form-urlencoded")) return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  return Object.fromEntries(new URLSearchParams(text));
}

function refusalCode(error: string, grant: string): ErrorCode {
  if (error === "temporarily_unavailable" || error === "server_error") return "connector_unavailable";
  // A bad code is a callback that does not validate; a bad refresh token means the upstream no longer vouches.
  if (grant === "authorization_code" && (error === "invalid_grant" || error === "bad_verification_code")) return "connector_callback_invalid";
  return "connector_refused";
}

function tokensFrom(body: Record<string, unknown>, clock: Clock, provider: string): Tokens {
  const str = (k: string) => (typeof body[k] === "string" && body[k] !== "" ? (body[k] as string) : undefined);
  const accessToken = str("access_token");
  if (accessToken === undefined) throw new KubewardError("connector_unavailable", `${provider}: the token endpoint sent no access_token`);
  const expiresIn = Number(body["expires_in"]);
  const optional = { refreshToken: str("refresh_token"), idToken: str("id_token"), scope: str("scope") };
  return {
    accessToken,
    ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)),
    ...(Number.isFinite(expiresIn) && expiresIn > 0 ? { expiresAt: clock.now() + expiresIn * 1000 } : {}),
  };
}

/** One request to the token endpoint: its status and fields. */
async function post(http: UpstreamHttp, ep: TokenEndpoint, auth: "basic" | "post", form: Record<string, string>, provider: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await send(http, provider, ep.url, requestInit(ep, auth, form));
  if (res.status >= 500) throw new KubewardError("connector_unavailable", `${provider}: the token endpoint answered HTTP ${res.status}`);
  const body = await fields(res);
  if (body === undefined) throw new KubewardError("connector_unavailable", `${provider}: the token endpoint answered HTTP ${res.status} with a body that is neither JSON nor a form`);
  return { status: res.status, body };
}

async function grant(http: UpstreamHttp, ep: TokenEndpoint, form: Record<string, string>, clock: Clock, provider: string): Promise<Tokens> {
  let answer = await post(http, ep, ep.auth === "post" ? "post" : "basic", form, provider);
  // A refused client is refused before the code is looked at, so the code is still good for the second try.
  if (ep.auth === "auto" && (answer.status === 401 || answer.body["error"] === "invalid_client")) answer = await post(http, ep, "post", form, provider);
  const { status, body } = answer;
  const error = body["error"];
  if (typeof error === "string" || status < 200 || status > 299) {
    const description = typeof body["error_description"] === "string" ? `: ${body["error_description"]}` : "";
    const grantType = form["grant_type"] ?? "";
    throw new KubewardError(refusalCode(String(error), grantType), `${provider}: the token endpoint refused the ${grantType} grant (HTTP ${status}): ${String(error)}${description}`);
  }
  return tokensFrom(body, clock, provider);
}

/** Redeems an authorization code (with the PKCE verifier when one was sent). */
export function redeemCode(http: UpstreamHttp, ep: TokenEndpoint, clock: Clock, provider: string, code: string, redirectURI: string, verifier?: string): Promise<Tokens> {
  const form: Record<string, string> = { grant_type: "authorization_code", code, redirect_uri: redirectURI };
  if (verifier !== undefined) form["code_verifier"] = verifier;
  return grant(http, ep, form, clock, provider);
}

/** Redeems a refresh token; the upstream may rotate it (the answer's refresh token, if any, replaces it). */
export async function redeemRefreshToken(http: UpstreamHttp, ep: TokenEndpoint, clock: Clock, provider: string, refreshToken: string): Promise<Tokens> {
  const tokens = await grant(http, ep, { grant_type: "refresh_token", refresh_token: refreshToken }, clock, provider);
  return tokens.refreshToken === undefined ? { ...tokens, refreshToken } : tokens;
}
