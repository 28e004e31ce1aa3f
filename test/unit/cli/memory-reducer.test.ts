import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { pathToFileURL } from "node:url";
import { join } from "node:path";
import { promisify } from "node:util";

const MODULE = pathToFileURL(join(import.meta.dirname, "..", "..", "..", "src", "cli", "memory-reducer.ts")).href;

/**
 * A process that grows its heap to ~150 MB in a burst, drops it, then goes
 * quiet; prints its committed heap at the end of the burst and once it is
 * below half of that (or after 20 s).
 */
const BURST_THEN_IDLE = `
import { keepMemoryReducerWorking } from ${JSON.stringify(MODULE)};
keepMemoryReducerWorking();
let kept = [];
for (let i = 0; i < 40; i++) kept.push(Array.from({ length: 50_000 }, (_, j) => ({ i, j })));
const burst = process.memoryUsage().heapTotal;
kept = null;
const started = Date.now();
const poll = setInterval(() => {
  const now = process.memoryUsage().heapTotal;
  if (now > burst / 2 && Date.now() - started < 20_000) return;
  clearInterval(poll);
  console.log(JSON.stringify({ burstMb: burst / 2 ** 20, nowMb: now / 2 ** 20, afterMs: Date.now() - started }));
}, 200);
`;

test("an idle process gives back the heap a burst of load grew", async () => {
  // The flag only shortens V8's first wait after the burst; the reducer still decides by the allocation rate.
  const { stdout } = await promisify(execFile)(process.execPath, ["--gc-memory-reducer-start-delay-ms=500", "--input-type=module", "-e", BURST_THEN_IDLE], { timeout: 60_000 });
  const { burstMb, nowMb, afterMs } = JSON.parse(stdout) as { burstMb: number; nowMb: number; afterMs: number };
  assert.ok(burstMb > 100, `the burst grew the heap to ${burstMb.toFixed(0)} MB`);
  assert.ok(nowMb < burstMb / 2, `heap still ${nowMb.toFixed(0)} MB of ${burstMb.toFixed(0)} MB ${afterMs} ms after the burst`);
});
