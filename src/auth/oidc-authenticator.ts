/**
 * The token authenticator for one OIDC issuer: discovers its keys in the
 * background (retrying until it succeeds, as kube-apiserver does), then
 * verifies tokens, resolves a distributed groups claim, and maps the claims
 * to a Kubernetes identity.
 */
import type { OidcIssuerConfig } from "../config/types.ts";
import type { Clock } from "../clock.ts";
import type { Logger } from "../log/logger.ts";
import type { Metrics } from "../metrics/metrics.ts";
import { KubewardError } from "../errors.ts";
import type { Authentication, TokenAuthenticator } from "./authenticator.ts";
import { mapClaims } from "./claim-mapping.ts";
import { discoverJwksUri } from "./discovery.ts";
import { checkClaimSources, expandDistributedClaim } from "./distributed-claims.ts";
import { createIssuerAgent, createJsonGetter, createTextGetter, type JsonGetter, type TextGetter } from "./http-json.ts";
import { JwksCache } from "./jwks-cache.ts";
import { parseJwt } from "./jwt-parse.ts";
import { numericDateMs, verifyJwt } from "./verify-jwt.ts";

/** Timing knobs of one issuer's key handling. */
export interface OidcTiming {
  /** Least time between refetches triggered by unknown keys. */
  readonly jwksMinRefetchIntervalMs: number;
  /** Background JWKS refresh period. */
  readonly jwksRefreshIntervalMs: number;
  /** First retry delay after a failed discovery or first key fetch; doubles up to the maximum. */
  readonly initRetryMinMs: number;
  /** kube-apiserver retries discovery every 10 s. */
  readonly initRetryMaxMs: number;
}

export interface OidcAuthenticatorDeps {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Replace the HTTPS client (tests); by default one trusting `config.caPem`. */
  readonly get?: JsonGetter;
  readonly getText?: TextGetter;
  /** Monotonic time for the refetch rate limit (tests). */
  readonly monotonicNow?: () => number;
  /** Reports this issuer's key count after each successful fetch. */
  readonly onKeys?: (count: number) => void;
}

/** Builds the authenticator for one issuer. `start()` resolves once the first attempt to load keys has finished. */
export function createOidcAuthenticator(config: OidcIssuerConfig, deps: OidcAuthenticatorDeps, timing: OidcTiming): TokenAuthenticator {
  const agent = deps.get && deps.getText ? undefined : createIssuerAgent(config.caPem);
  const get = deps.get ?? createJsonGetter(agent);
  const getText = deps.getText ?? createTextGetter(agent);
  const abort = new AbortController();
  const log = deps.logger.child({ issuer: config.issuerUrl });
  let cache: JwksCache | undefined;
  let ready = false;
  let retryTimer: NodeJS.Timeout | undefined;
  let started: Promise<void> | undefined;

  async function discover(): Promise<JwksCache> {
    try {
      const jwksUri = await discoverJwksUri(get, config.issuerUrl, config.discoveryUrl, abort.signal);
      deps.metrics.jwksFetches.inc({ result: "success" });
      log.info({ jwksUri }, "discovered OIDC issuer");
      return new JwksCache({
        issuerUrl: config.issuerUrl, jwksUri, get, clock: deps.clock, logger: log, metrics: deps.metrics,
        minRefetchIntervalMs: timing.jwksMinRefetchIntervalMs, refreshIntervalMs: timing.jwksRefreshIntervalMs,
        ...(deps.monotonicNow ? { monotonicNow: deps.monotonicNow } : {}),
        ...(deps.onKeys ? { onKeys: deps.onKeys } : {}),
      });
    } catch (e) {
      deps.metrics.jwksFetches.inc({ result: "failure" });
      throw e;
    }
  }

  /** One attempt: discovery (until it has succeeded once), then a key fetch that yields at least one usable key. */
  async function attempt(): Promise<boolean> {
    try {
      cache ??= await discover();
    } catch (e) {
      if (!abort.signal.aborted) log.warn({ err: (e as Error).message }, "OIDC discovery failed; will retry");
      return false;
    }
    const loaded = await cache.load();
    if (abort.signal.aborted) {
      cache.close();
      return false;
    }
    if (!loaded) return false;
    if (cache.keys().length === 0) {
      log.warn("the issuer publishes no usable signing key; will retry");
      return false;
    }
    ready = true;
    cache.startRefresh();
    return true;
  }

  function retry(delayMs: number): void {
    if (abort.signal.aborted) return;
    retryTimer = setTimeout(() => {
      void attempt().then((ok) => ok || retry(Math.min(delayMs * 2, timing.initRetryMaxMs)));
    }, delayMs);
  }

  /** Parses and verifies a token of this issuer; returns its claims. */
  async function verified(token: string, keys: JwksCache): Promise<Readonly<Record<string, unknown>>> {
    const jwt = parseJwt(token);
    checkClaimSources(jwt.claims);
    await verifyJwt(jwt, config, keys, deps.clock.now());
    return jwt.claims;
  }

  async function authenticate(token: string): Promise<Authentication> {
    if (!ready || !cache) throw new KubewardError("authenticator_not_ready", `issuer ${config.issuerUrl} has no keys yet`);
    const keys = cache;
    let claims = await verified(token, keys);
    if (config.groupsClaim !== undefined) {
      claims = await expandDistributedClaim(claims, config.groupsClaim, {
        fetchJwt: (url, accessToken) => getText(url, abort.signal, accessToken),
        verify: (jwt) => verified(jwt, keys),
      });
    }
    const user = mapClaims(claims, config);
    const issuedAt = numericDateMs(claims["iat"]);
    const expiresAt = numericDateMs(claims["exp"]) ?? 0;
    return issuedAt === undefined ? { user, expiresAt, issuer: config.issuerUrl } : { user, expiresAt, issuedAt, issuer: config.issuerUrl };
  }

  return {
    authenticate,
    ready: () => ready,
    start() {
      started ??= attempt().then((ok) => {
        if (!ok) retry(timing.initRetryMinMs);
      });
      return started;
    },
    close() {
      abort.abort();
      clearTimeout(retryTimer);
      cache?.close();
      void agent?.destroy().catch(() => undefined);
    },
  };
}
