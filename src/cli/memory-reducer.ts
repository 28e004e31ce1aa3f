/**
 * Lets V8 give memory back once a long-running kubeward process goes quiet
 * after a burst of load: a workaround for V8's memory reducer in Node 24.
 *
 * V8 runs a memory-reducing garbage collection (which also shrinks the young
 * generation and returns freed pages) when the program's allocation rate has
 * fallen, judged on three heaps: young, old and the C++ heap (cppgc). Since
 * V8 13.1 (Node 24 ships 13.6; Node 22 had 12.4), the C++ heap's rate is
 * exactly 0 B/ms in a program that has never allocated there, and V8 reads 0
 * as the highest rate there is (`Memory reducer: high alloc` on every check
 * under `--trace-memory-reducer`), so the reducing collection comes only from
 * the reducer's watchdog, 100 s after the last major one, or never while
 * anything keeps collecting. Node allocates on the C++ heap in one place: each
 * `vm.Script`. One tiny script keeps the rate positive; the rate decays to
 * exactly 0 about 110 s after the last allocation, hence one every 30 s.
 *
 * Measured on the proxy (bench harness, fresh processes): RSS with 5,000
 * HTTP/2 watches open 160–168 → 139–151 MB 10–15 s after they opened, idle
 * 15 s after the GET, LIST and HTTP/2 cases 268 → 161–191 MB, idle after
 * start 75 → 72 MB; no change in req/s or CPU per request (the reducer only
 * starts once allocation has stopped). See docs/performance.md, "Session 8".
 */
import { Script } from "node:vm";

/** Below the ~110 s after which the C++ heap's allocation rate reads 0 again. */
const NUDGE_INTERVAL_MS = 30_000;

function nudge(): void {
  new Script("0");
}

/**
 * Starts allocating one tiny `vm.Script` now and every 30 s (an unref'd
 * timer: it never keeps the process alive); returns the function that stops it.
 */
export function keepMemoryReducerWorking(): () => void {
  nudge();
  const timer = setInterval(nudge, NUDGE_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}
