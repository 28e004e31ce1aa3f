/**
 * The composition root of token verification: one OIDC authenticator per
 * configured issuer, routed by the token's `iss`, behind the verified-token
 * cache, with the authentication metrics counted once at the outside.
 */
import type { OidcIssuerConfig } from "../config/types.ts";
import type { Clock } from "../clock.ts";
import type { Logger } from "../log/logger.ts";
import type { Metrics } from "../metrics/metrics.ts";
import { KubewardError, isKubewardError } from "../errors.ts";
import type { Authentication, TokenAuthenticator } from "./authenticator.ts";
import { createMultiIssuerAuthenticator } from "./multi-issuer.ts";
import { createOidcAuthenticator, type OidcTiming } from "./oidc-authenticator.ts";
import { withTokenCache } from "./token-cache.ts";
import { ALLOWED_SIGNING_ALGS } from "./verify-jwt.ts";

export interface AuthenticatorDeps {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** Tuning; every field has a production default. */
export interface AuthenticatorOptions extends Partial<OidcTiming> {
  readonly tokenCacheMaxEntries?: number;
  readonly tokenCacheMaxTtlMs?: number;
}

const DEFAULTS = {
  jwksMinRefetchIntervalMs: 1_000,
  jwksRefreshIntervalMs: 5 * 60_000,
  initRetryMinMs: 1_000,
  initRetryMaxMs: 10_000,
  tokenCacheMaxEntries: 10_000,
  tokenCacheMaxTtlMs: 5 * 60_000,
} as const;

function validate(issuers: readonly OidcIssuerConfig[]): void {
  if (issuers.length === 0) throw new KubewardError("config_invalid", "createAuthenticator: no OIDC issuer configured");
  const seen = new Set<string>();
  for (const [i, issuer] of issuers.entries()) {
    if (seen.has(issuer.issuerUrl)) throw new KubewardError("config_invalid", `oidc[${i}].issuerUrl: duplicate ${issuer.issuerUrl}`);
    seen.add(issuer.issuerUrl);
    if (issuer.audiences.length === 0) throw new KubewardError("config_invalid", `oidc[${i}].audiences: at least one is required`);
    const bad = issuer.signingAlgs.find((a) => !ALLOWED_SIGNING_ALGS.has(a));
    if (bad !== undefined) throw new KubewardError("config_invalid", `oidc[${i}].signingAlgs: ${bad} is not allowed`);
  }
}

/**
 * Counts refusals by reason and logs them (never the token). An accepted token
 * is counted by its caller once the caller's own checks pass too (the proxy's
 * revocation and reserved identities, the admin API's revocation), so each
 * attempt counts once, as a success or as the refusal that ended it.
 */
function instrumented(inner: TokenAuthenticator, deps: AuthenticatorDeps): TokenAuthenticator {
  return {
    ready: () => inner.ready(),
    start: () => inner.start(),
    close: () => inner.close(),
    async authenticate(token: string): Promise<Authentication> {
      try {
        return await inner.authenticate(token);
      } catch (e) {
        const err = isKubewardError(e) ? e : new KubewardError("internal", String(e), { cause: e });
        deps.metrics.authentications.inc({ result: "failure", reason: err.code });
        deps.logger.debug({ reason: err.code, detail: err.detail }, "token refused");
        throw err;
      }
    },
  };
}

/**
 * One authenticator for all configured issuers; picks the issuer by the
 * token's unverified `iss`. Includes the verified-token cache. Call
 * `start()` once (it resolves after the first attempt to load keys; `ready()`
 * tells whether that worked) and `close()` on shutdown.
 *
 * @example
 * ```ts
 * const authn = createAuthenticator(config.oidc, { clock: systemClock, logger, metrics });
 * await authn.start();
 * const { user } = await authn.authenticate(bearerToken); // rejects with a KubewardError (token_expired, …)
 * ```
 */
export function createAuthenticator(issuers: readonly OidcIssuerConfig[], deps: AuthenticatorDeps, options: AuthenticatorOptions = {}): TokenAuthenticator {
  validate(issuers);
  const o = { ...DEFAULTS, ...options };
  const keyCounts = new Map<string, number>();
  const byIssuer = new Map<string, TokenAuthenticator>();
  for (const issuer of issuers) {
    const onKeys = (count: number): void => {
      keyCounts.set(issuer.issuerUrl, count);
      deps.metrics.jwksKeys.set([...keyCounts.values()].reduce((a, b) => a + b, 0));
    };
    byIssuer.set(issuer.issuerUrl, createOidcAuthenticator(issuer, { ...deps, onKeys }, o));
  }
  const cached = withTokenCache(createMultiIssuerAuthenticator(byIssuer), {
    maxEntries: o.tokenCacheMaxEntries, maxTtlMs: o.tokenCacheMaxTtlMs, clock: deps.clock, metrics: deps.metrics,
  });
  return instrumented(cached, deps);
}
