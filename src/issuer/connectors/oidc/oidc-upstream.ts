/**
 * The oidc connector's link to its upstream: an HTTP client trusting the
 * configured root CAs, discovery (retried until it succeeds), and the one
 * place openid-client's failures become kubeward error codes.
 */
import * as oidc from "openid-client";
import { Agent, fetch as undiciFetch } from "undici";
import { KubewardError, isKubewardError, type ErrorCode } from "../../../errors.ts";
import type { Clock } from "../../../clock.ts";
import type { Logger } from "../../../log/logger.ts";
import type { OidcConfig } from "./oidc-config.ts";

/** Seconds before an upstream request is abandoned. */
const UPSTREAM_TIMEOUT_SECONDS = 10;

/** What the connector was doing when the upstream failed; it decides the code. */
export type Phase = "discovery" | "callback" | "refresh";

/** An HTTP client for the upstream: `fetch` trusting `caPem` when given. */
export interface UpstreamHttp {
  readonly fetch: oidc.CustomFetch;
  close(): Promise<void>;
}

/** Uses `fallback` (the deps' fetch) unless root CAs are configured, which need their own TLS agent. */
export function upstreamHttp(caPem: string | undefined, fallback: typeof globalThis.fetch): UpstreamHttp {
  if (caPem === undefined) return { fetch: (url, options) => fallback(url, options as RequestInit), close: () => Promise.resolve() };
  const agent = new Agent({ connect: { ca: caPem } });
  return {
    fetch: (url, options) => undiciFetch(url, { ...(options as object), dispatcher: agent }) as unknown as Promise<Response>,
    close: () => agent.close(),
  };
}

/**
 * Discovers the upstream once it answers: a failure is not cached, so the
 * next use tries again. ID token times are checked against `clock` (its
 * offset from the system clock, taken at discovery).
 */
export function lazyDiscovery(config: OidcConfig, http: UpstreamHttp, clock: Clock, log: Logger): () => Promise<oidc.Configuration> {
  let pending: Promise<oidc.Configuration> | undefined;
  const auth = config.basicAuthUnsupported === true ? oidc.ClientSecretPost(config.clientSecret) : oidc.ClientSecretBasic(config.clientSecret);
  return () => {
    const metadata = { [oidc.clockSkew]: Math.round((clock.now() - Date.now()) / 1000) };
    pending ??= oidc
      .discovery(new URL(config.issuer), config.clientID, metadata, auth, { [oidc.customFetch]: http.fetch, timeout: UPSTREAM_TIMEOUT_SECONDS })
      .catch((e: unknown) => {
        pending = undefined;
        const err = upstreamError(e, "discovery");
        log.warn({ code: err.code, reason: err.detail }, "upstream OpenID discovery failed");
        throw err;
      });
    return pending;
  };
}

function statusOf(e: unknown): number | undefined {
  if (e instanceof oidc.ResponseBodyError) return e.status;
  const cause = (e as { cause?: unknown }).cause;
  return cause instanceof Response ? cause.status : undefined;
}

function codeFor(e: unknown, phase: Phase): ErrorCode {
  if (e instanceof oidc.AuthorizationResponseError) return "connector_refused";
  if ((statusOf(e) ?? 0) >= 500) return "connector_unavailable";
  if (e instanceof oidc.ResponseBodyError) return phase === "refresh" ? "connector_refused" : phase === "callback" ? "connector_callback_invalid" : "connector_unavailable";
  if (e instanceof oidc.ClientError) return phase === "callback" ? "connector_callback_invalid" : "connector_unavailable";
  return "connector_unavailable";
}

function describe(e: unknown): string {
  if (e instanceof oidc.ResponseBodyError || e instanceof oidc.AuthorizationResponseError) {
    return `${e.error}${e.error_description ? `: ${e.error_description}` : ""}`;
  }
  const message = e instanceof Error ? e.message : String(e);
  const cause = (e as { cause?: unknown }).cause;
  return cause instanceof Error ? `${message} (${cause.message})` : message;
}

/**
 * The KubewardError for a failure while talking to the upstream: an upstream
 * refusal (`error=access_denied`, `invalid_grant` on refresh) is
 * `connector_refused`; a callback or ID token that does not validate is
 * `connector_callback_invalid`; no answer or a 5xx is `connector_unavailable`.
 */
export function upstreamError(e: unknown, phase: Phase): KubewardError {
  if (isKubewardError(e)) return e;
  return new KubewardError(codeFor(e, phase), `oidc connector ${phase}: ${describe(e)}`, { cause: e });
}
