/**
 * The replay guard: each assertion this connector accepted is remembered
 * until it expires (NotOnOrAfter plus the clock skew), so posting the same
 * response again is refused. In memory, per kubeward process.
 */
import { LRUCache } from "lru-cache";
import type { Clock } from "../../../clock.ts";

/** Assertions remembered at most; beyond that the oldest are forgotten (they have usually expired long before). */
const MAX_ASSERTIONS = 100_000;

/** Remembers accepted assertion ids until they expire. */
export class ReplayGuard {
  readonly #seen: LRUCache<string, true>;
  readonly #clock: Clock;

  constructor(clock: Clock) {
    this.#clock = clock;
    this.#seen = new LRUCache<string, true>({ max: MAX_ASSERTIONS, perf: clock, ttlAutopurge: false });
  }

  /**
   * Records `id` (from `issuer`) as used until `expiresAt` (ms since the
   * epoch). Returns false when it was already used and has not expired.
   */
  firstUse(issuer: string, id: string, expiresAt: number): boolean {
    const key = `${issuer}\n${id}`;
    if (this.#seen.has(key)) return false;
    this.#seen.set(key, true, { ttl: Math.max(1, expiresAt - this.#clock.now()) });
    return true;
  }
}
