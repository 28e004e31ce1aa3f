/**
 * The relying party's view of the issuer, through openid-client: discovery
 * with the trusted CA, the client's authentication, and the turning of
 * network, TLS and OAuth failures into catalogue errors.
 */
import { readFile } from "node:fs/promises";
import * as oidc from "openid-client";
import { Agent, fetch as undiciFetch } from "undici";
import { KubewardError, isKubewardError } from "../errors.ts";
import { ConfigError } from "../config/errors.ts";
import { isLoopbackHost, type ClientOptions, type IssuerTrust } from "./login-options.ts";

/** A fetch for the issuer, trusting the given CA (the system roots when none). */
export type IssuerFetch = (url: string, init?: RequestInit) => Promise<Response>;

/** Reads the CA flags; a file that cannot be read is a ConfigError naming the flag. */
export async function issuerFetch(trust: IssuerTrust): Promise<{ fetch: IssuerFetch; close: () => Promise<void> }> {
  const pems: string[] = [];
  if (trust.caFile !== undefined) {
    try {
      pems.push(await readFile(trust.caFile, "utf8"));
    } catch (e) {
      throw new ConfigError([{ path: "--certificate-authority", message: `cannot read ${trust.caFile} (${(e as NodeJS.ErrnoException).code ?? "error"})` }]);
    }
  }
  if (trust.caData !== undefined) pems.push(Buffer.from(trust.caData, "base64").toString("utf8"));
  if (pems.length === 0) return { fetch: (url, init) => fetch(url, init), close: async () => undefined };
  const agent = new Agent({ connect: { ca: pems.join("\n") } });
  const f = (url: string, init?: RequestInit) => undiciFetch(url, { ...(init as object), dispatcher: agent }) as unknown as Promise<Response>;
  return { fetch: f, close: () => agent.close() };
}

/**
 * Discovers the issuer and builds the client: client_secret_basic with a
 * secret, none (a public client, PKCE) without one.
 */
export async function discoverIssuer(client: ClientOptions, fetch: IssuerFetch): Promise<oidc.Configuration> {
  const url = new URL(client.issuerUrl);
  const auth = client.clientSecret === undefined ? oidc.None() : oidc.ClientSecretBasic(client.clientSecret);
  const insecure = url.protocol === "http:" && isLoopbackHost(url.hostname);
  try {
    return await oidc.discovery(url, client.clientId, client.clientSecret, auth, {
      [oidc.customFetch]: fetch as oidc.CustomFetch,
      ...(insecure ? { execute: [oidc.allowInsecureRequests] } : {}),
    });
  } catch (e) {
    throw asLoginError(e);
  }
}

const UNTRUSTED = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE", "SELF_SIGNED_CERT_IN_CHAIN", "DEPTH_ZERO_SELF_SIGNED_CERT", "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY", "CERT_HAS_EXPIRED", "CERT_NOT_YET_VALID", "ERR_TLS_CERT_ALTNAME_INVALID", "CERT_UNTRUSTED",
]);

/** The first error code along an error's cause chain. */
function causeCode(e: unknown): string | undefined {
  for (let c: unknown = e, depth = 0; c instanceof Error && depth < 8; c = c.cause, depth++) {
    const code = (c as { code?: unknown }).code;
    if (typeof code === "string" && !code.startsWith("OAUTH_")) return code;
  }
  return undefined;
}

/**
 * Turns what openid-client or fetch threw into a catalogue error whose detail
 * is fit for the user's terminal (an errno, an OAuth error and its description).
 */
export function asLoginError(e: unknown): KubewardError {
  if (isKubewardError(e)) return e;
  if (e instanceof oidc.ResponseBodyError || e instanceof oidc.AuthorizationResponseError) {
    const detail = e.error_description ? `${e.error}: ${e.error_description}` : e.error;
    return new KubewardError(e.error === "access_denied" ? "login_denied" : "login_failed", detail, { cause: e });
  }
  if (e instanceof oidc.WWWAuthenticateChallengeError) {
    const p = e.cause[0]?.parameters;
    const detail = p?.error_description ? `${p.error ?? "invalid_client"}: ${p.error_description}` : (p?.error ?? `HTTP ${e.status}`);
    return new KubewardError("login_failed", detail, { cause: e });
  }
  if (e instanceof Error && e.name === "AbortError") return new KubewardError("login_timeout", "aborted", { cause: e });
  const code = causeCode(e);
  if (code !== undefined && UNTRUSTED.has(code)) return new KubewardError("issuer_untrusted_certificate", code, { cause: e });
  if (e instanceof TypeError && e.message === "fetch failed") return new KubewardError("issuer_unavailable", code ?? messageOfCause(e), { cause: e });
  if (e instanceof oidc.ClientError) {
    const cause = e.cause as { status?: unknown } | undefined;
    const status = typeof cause?.status === "number" ? ` ${cause.status}` : "";
    return new KubewardError("issuer_invalid", `${e.message}${status}`, { cause: e });
  }
  return new KubewardError("internal", e instanceof Error ? e.message : String(e), { cause: e });
}

function messageOfCause(e: Error): string {
  return e.cause instanceof Error ? e.cause.message : e.message;
}
