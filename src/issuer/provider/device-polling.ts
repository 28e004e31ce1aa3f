/**
 * RFC 8628 §3.5 polling discipline, which oidc-provider 9 leaves out: a device
 * client polling faster than the announced interval gets `slow_down`, and its
 * interval grows by 5 seconds each time. Kept in memory per process.
 */
import { LRUCache } from "lru-cache";
import { errors } from "oidc-provider";
import type { Clock } from "../../clock.ts";

/** Tracks the last poll of each device code. */
export interface DevicePolling {
  /** Records a poll of `deviceCodeId`. @throws oidc-provider's `slow_down` error when it came too early. */
  poll(deviceCodeId: string): void;
}

/** A poll tracker with the announced `intervalMs`. */
export function createDevicePolling(clock: Clock, intervalMs: number, maxCodes = 10_000): DevicePolling {
  const polls = new LRUCache<string, { last: number; interval: number }>({ max: maxCodes });
  return {
    poll(id) {
      const now = clock.now();
      const seen = polls.get(id);
      if (seen === undefined) {
        polls.set(id, { last: now, interval: intervalMs });
        return;
      }
      if (now - seen.last < seen.interval) {
        polls.set(id, { last: now, interval: seen.interval + 5_000 });
        throw new errors.CustomOIDCProviderError("slow_down", "you are polling too quickly; wait longer between requests");
      }
      polls.set(id, { last: now, interval: seen.interval });
    },
  };
}
