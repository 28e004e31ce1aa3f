/**
 * The V8 old generation of a kubeward process, read from its metrics as a
 * user's Prometheus would, for the tests that it is given back once the
 * process goes idle (src/cli/memory-reducer.ts).
 */
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";

const OLD_SPACE = 'kubeward_nodejs_heap_space_size_total_bytes{space="old"}';

/** `kubeward_nodejs_heap_space_size_total_bytes{space="old"}`: the old generation V8 has committed, in MB. */
export async function oldGenerationMb(metricsUrl: string): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  const line = text.split("\n").find((l) => l.startsWith(OLD_SPACE));
  assert.ok(line !== undefined, `the metrics at ${metricsUrl} have ${OLD_SPACE}`);
  return Number(line.split(" ")[1]) / 2 ** 20;
}

/**
 * Asserts that `burst` (what was opened, for the messages) grew the old
 * generation by at least 2 MB from `beforeMb` (read now, once the burst has
 * ended), and that within `withinMs` it is back below half of that growth.
 */
export async function assertOldGenerationGivenBack(metricsUrl: string, beforeMb: number, burst: string, withinMs: number): Promise<void> {
  const grown = await oldGenerationMb(metricsUrl);
  assert.ok(grown >= beforeMb + 2, `the ${burst} grew the old generation (${beforeMb.toFixed(1)} → ${grown.toFixed(1)} MB)`);
  const target = beforeMb + (grown - beforeMb) / 2;
  const deadline = Date.now() + withinMs;
  let now = grown;
  while (now > target && Date.now() < deadline) {
    await sleep(500);
    now = await oldGenerationMb(metricsUrl);
  }
  assert.ok(now <= target, `old generation still ${now.toFixed(1)} MB (${beforeMb.toFixed(1)} before the ${burst}, ${grown.toFixed(1)} with them) ${withinMs / 1000} s after they closed`);
}
