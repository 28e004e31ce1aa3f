/**
 * The issuer's signing keys, cached in memory and kept fresh: refreshed in
 * the background, and refetched when a token names a key we lack, at most
 * once per short interval however many tokens ask (all askers share it).
 */
import type { Logger } from "../log/logger.ts";
import type { Metrics } from "../metrics/metrics.ts";
import type { Clock } from "../clock.ts";
import type { JsonGetter } from "./http-json.ts";
import { parseJwks, type VerificationKey } from "./jwks.ts";

export interface JwksCacheOptions {
  readonly issuerUrl: string;
  readonly jwksUri: string;
  readonly get: JsonGetter;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Least time between two fetches; a key the issuer just started using works within about this long. */
  readonly minRefetchIntervalMs: number;
  /** Background refresh period. */
  readonly refreshIntervalMs: number;
  /** Monotonic milliseconds for the rate limit; performance.now() unless a test passes its own. */
  readonly monotonicNow?: () => number;
  /** Called with the key count after each successful fetch. */
  readonly onKeys?: (count: number) => void;
}

/** A rotation-aware, rate-limited cache of one issuer's JWKS. */
export class JwksCache {
  readonly #o: JwksCacheOptions;
  readonly #now: () => number;
  readonly #abort = new AbortController();
  #keys: readonly VerificationKey[] = [];
  #loaded = false;
  #lastFetchStart = Number.NEGATIVE_INFINITY;
  #inFlight: Promise<boolean> | undefined;
  #scheduled: { promise: Promise<readonly VerificationKey[]>; timer: NodeJS.Timeout; resolve: () => void } | undefined;
  #refresh: NodeJS.Timeout | undefined;

  constructor(options: JwksCacheOptions) {
    this.#o = options;
    this.#now = options.monotonicNow ?? (() => performance.now());
  }

  /** The keys from the last successful fetch. */
  keys(): readonly VerificationKey[] {
    return this.#keys;
  }

  /** True once a fetch has succeeded. */
  loaded(): boolean {
    return this.#loaded;
  }

  /** Fetches now; resolves true on success. Never rejects (failures keep the last good keys). */
  load(): Promise<boolean> {
    if (this.#inFlight) return this.#inFlight;
    this.#lastFetchStart = this.#now();
    this.#inFlight = this.#fetch().finally(() => (this.#inFlight = undefined));
    return this.#inFlight;
  }

  /**
   * Asks for fresh keys because a token named a key we lack. Joins a fetch
   * in flight, or waits for the next allowed slot; resolves with the keys.
   */
  async refetch(): Promise<readonly VerificationKey[]> {
    if (this.#abort.signal.aborted) return this.#keys;
    if (this.#inFlight) return this.#throttled(this.#inFlight.then(() => this.#keys));
    if (this.#scheduled) return this.#throttled(this.#scheduled.promise);
    const wait = this.#lastFetchStart + this.#o.minRefetchIntervalMs - this.#now();
    if (wait <= 0) {
      await this.load();
      return this.#keys;
    }
    return this.#throttled(this.#schedule(wait));
  }

  /** Starts the periodic background refresh. */
  startRefresh(): void {
    this.#refresh ??= setInterval(() => void this.load(), this.#o.refreshIntervalMs);
  }

  /** Stops timers and aborts a fetch in flight; waiters get the current keys. */
  close(): void {
    this.#abort.abort();
    clearInterval(this.#refresh);
    if (this.#scheduled) {
      clearTimeout(this.#scheduled.timer);
      this.#scheduled.resolve();
      this.#scheduled = undefined;
    }
  }

  #throttled<T>(p: Promise<T>): Promise<T> {
    this.#o.metrics.jwksFetches.inc({ result: "throttled" });
    return p;
  }

  #schedule(waitMs: number): Promise<readonly VerificationKey[]> {
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r)).then(() => this.#keys);
    const timer = setTimeout(() => {
      this.#scheduled = undefined;
      void this.load().then(resolve);
    }, waitMs);
    this.#scheduled = { promise, timer, resolve };
    return promise;
  }

  async #fetch(): Promise<boolean> {
    const { issuerUrl, jwksUri, logger, metrics } = this.#o;
    try {
      const { keys, ignored } = parseJwks(await this.#o.get(jwksUri, this.#abort.signal));
      const before = this.#keys.map((k) => k.kid).join(",");
      this.#keys = keys;
      this.#loaded = true;
      metrics.jwksFetches.inc({ result: "success" });
      metrics.jwksLastFetch.set(Math.floor(this.#o.clock.now() / 1000));
      this.#o.onKeys?.(keys.length);
      const kids = keys.map((k) => k.kid ?? "(none)");
      const changed = before !== keys.map((k) => k.kid).join(",");
      logger[changed ? "info" : "debug"]({ issuer: issuerUrl, jwksUri, kids, ignored }, "fetched issuer signing keys");
      return true;
    } catch (e) {
      if (this.#abort.signal.aborted) return false;
      metrics.jwksFetches.inc({ result: "failure" });
      logger.warn({ issuer: issuerUrl, jwksUri, err: (e as Error).message, keptKeys: this.#keys.length }, "fetching issuer signing keys failed");
      return false;
    }
  }
}
