/** RFC 8628 §3.5: polls faster than the interval are slow_down, and each one adds 5 s. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createDevicePolling } from "../../../../src/issuer/provider/device-polling.ts";

test("polls at the interval pass; a faster one is slow_down and the interval grows by 5 s", () => {
  let now = 0;
  const polling = createDevicePolling({ now: () => now }, 5_000);
  polling.poll("d1");
  now += 5_000;
  polling.poll("d1");
  now += 1_000;
  assert.throws(() => polling.poll("d1"), { error: "slow_down" });
  now += 5_000;
  assert.throws(() => polling.poll("d1"), { error: "slow_down" }, "10 s are needed now");
  now += 15_000;
  polling.poll("d1");
  polling.poll("d2");
});
