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
import type { Agent } from "node:https";
import type { Authentication, TokenAuthenticator } from "./authenticator.ts";
import { mapClaims, type Claims } from "./claim-mapping.ts";
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

/** One issuer's authenticator; `start()` resolves once the first attempt to load keys has finished. */
class OidcIssuerAuthenticator implements TokenAuthenticator {
  readonly #config: OidcIssuerConfig;
  readonly #deps: OidcAuthenticatorDeps;
  readonly #timing: OidcTiming;
  /** The issuer connection pool, made only when the default getters are used. */
  #agent: Agent | undefined;
  readonly #get: JsonGetter;
  readonly #getText: TextGetter;
  readonly #abort = new AbortController();
  readonly #log: Logger;
  #cache: JwksCache | undefined;
  #ready = false;
  #retryTimer: NodeJS.Timeout | undefined;
  #started: Promise<void> | undefined;

  constructor(config: OidcIssuerConfig, deps: OidcAuthenticatorDeps, timing: OidcTiming) {
    this.#config = config;
    this.#deps = deps;
    this.#timing = timing;
    const agent = () => (this.#agent ??= createIssuerAgent(config.caPem));
    this.#get = deps.get ?? createJsonGetter(agent());
    this.#getText = deps.getText ?? createTextGetter(agent());
    this.#log = deps.logger.child({ issuer: config.issuerUrl });
  }

  ready(): boolean {
    return this.#ready;
  }

  start(): Promise<void> {
    this.#started ??= this.#attempt().then((ok) => {
      if (!ok) this.#retry(this.#timing.initRetryMinMs);
    });
    return this.#started;
  }

  close(): void {
    this.#abort.abort();
    clearTimeout(this.#retryTimer);
    this.#cache?.close();
    this.#agent?.destroy();
  }

  async authenticate(token: string): Promise<Authentication> {
    const keys = this.#cache;
    if (!this.#ready || !keys) throw new KubewardError("authenticator_not_ready", `issuer ${this.#config.issuerUrl} has no keys yet`);
    let claims = await this.#verified(token, keys);
    const groupsClaim = this.#config.groupsClaim;
    if (groupsClaim !== undefined) {
      claims = await expandDistributedClaim(claims, groupsClaim, {
        fetchJwt: (url, accessToken) => this.#getText(url, this.#abort.signal, accessToken),
        verify: (jwt) => this.#verified(jwt, keys),
      });
    }
    const user = mapClaims(claims, this.#config);
    const issuer = this.#config.issuerUrl;
    const issuedAt = numericDateMs(claims["iat"]);
    const expiresAt = numericDateMs(claims["exp"]) ?? 0;
    return issuedAt === undefined ? { user, expiresAt, issuer } : { user, expiresAt, issuedAt, issuer };
  }

  /** Parses and verifies a token of this issuer; returns its claims. */
  async #verified(token: string, keys: JwksCache): Promise<Claims> {
    const jwt = parseJwt(token);
    checkClaimSources(jwt.claims);
    await verifyJwt(jwt, this.#config, keys, this.#deps.clock.now());
    return jwt.claims;
  }

  async #discover(): Promise<JwksCache> {
    const { issuerUrl, discoveryUrl } = this.#config;
    const { metrics, clock, monotonicNow, onKeys } = this.#deps;
    try {
      const jwksUri = await discoverJwksUri(this.#get, issuerUrl, discoveryUrl, this.#abort.signal);
      metrics.jwksFetches.inc({ result: "success" });
      this.#log.info({ jwksUri }, "discovered OIDC issuer");
      return new JwksCache({
        issuerUrl, jwksUri, get: this.#get, clock, logger: this.#log, metrics,
        minRefetchIntervalMs: this.#timing.jwksMinRefetchIntervalMs, refreshIntervalMs: this.#timing.jwksRefreshIntervalMs,
        ...(monotonicNow ? { monotonicNow } : {}),
        ...(onKeys ? { onKeys } : {}),
      });
    } catch (e) {
      metrics.jwksFetches.inc({ result: "failure" });
      throw e;
    }
  }

  /** One attempt: discovery (until it has succeeded once), then a key fetch that yields at least one usable key. */
  async #attempt(): Promise<boolean> {
    let cache: JwksCache;
    try {
      cache = this.#cache ??= await this.#discover();
    } catch (e) {
      if (!this.#abort.signal.aborted) this.#log.warn({ err: (e as Error).message }, "OIDC discovery failed; will retry");
      return false;
    }
    const loaded = await cache.load();
    if (this.#abort.signal.aborted) {
      cache.close();
      return false;
    }
    if (!loaded) return false;
    if (cache.keys().length === 0) {
      this.#log.warn("the issuer publishes no usable signing key; will retry");
      return false;
    }
    this.#ready = true;
    cache.startRefresh();
    return true;
  }

  #retry(delayMs: number): void {
    if (this.#abort.signal.aborted) return;
    this.#retryTimer = setTimeout(() => {
      void this.#attempt().then((ok) => ok || this.#retry(Math.min(delayMs * 2, this.#timing.initRetryMaxMs)));
    }, delayMs);
  }
}

/** Builds the authenticator for one issuer. `start()` resolves once the first attempt to load keys has finished. */
export function createOidcAuthenticator(config: OidcIssuerConfig, deps: OidcAuthenticatorDeps, timing: OidcTiming): TokenAuthenticator {
  return new OidcIssuerAuthenticator(config, deps, timing);
}
