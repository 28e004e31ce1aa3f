/**
 * The verified-token cache: a decorator that remembers successful
 * authentications by the token's SHA-256, so a token seen before costs no
 * public-key crypto. Entries never outlive the token's `exp`.
 */
import { hash } from "node:crypto";
import { LRUCache } from "lru-cache";
import type { Clock } from "../clock.ts";
import type { Metrics } from "../metrics/metrics.ts";
import type { Authentication, TokenAuthenticator } from "./authenticator.ts";

export interface TokenCacheOptions {
  /** Most entries kept (least recently used go first). */
  readonly maxEntries: number;
  /** Longest an entry lives, even for a token that expires later. */
  readonly maxTtlMs: number;
  readonly clock: Clock;
  readonly metrics: Metrics;
}

/** The cache key: the token's SHA-256 in one call (no Hash object per request, as createHash makes). */
function tokenKey(token: string): string {
  return hash("sha256", token, "base64url");
}

/**
 * Wraps `inner` with the cache. Only successes are cached; concurrent
 * authentications of the same token share one verification. An entry's TTL
 * ends at the token's `exp` on the injected clock, so a token past its `exp`
 * is verified again (and refused as expired).
 */
export function withTokenCache(inner: TokenAuthenticator, options: TokenCacheOptions): TokenAuthenticator {
  const { clock, metrics } = options;
  const cache = new LRUCache<string, Authentication>({
    max: options.maxEntries,
    ttl: options.maxTtlMs,
    ttlResolution: 0,
    perf: { now: () => clock.now() },
  });
  const inFlight = new Map<string, Promise<Authentication>>();

  function remember(key: string, auth: Authentication): void {
    const ttl = Math.min(options.maxTtlMs, auth.expiresAt - clock.now());
    if (ttl > 0) cache.set(key, auth, { ttl });
  }

  async function verify(key: string, token: string): Promise<Authentication> {
    const auth = await inner.authenticate(token);
    remember(key, auth);
    return auth;
  }

  return {
    async authenticate(token: string): Promise<Authentication> {
      const key = tokenKey(token);
      const hit = cache.get(key);
      metrics.tokenCacheLookups.inc({ result: hit ? "hit" : "miss" });
      if (hit) return hit;
      let pending = inFlight.get(key);
      if (!pending) {
        pending = verify(key, token).finally(() => inFlight.delete(key));
        inFlight.set(key, pending);
      }
      return pending;
    },
    ready: () => inner.ready(),
    start: () => inner.start(),
    close() {
      cache.clear();
      inner.close();
    },
  };
}
