#!/usr/bin/env -S node --max-semi-space-size=8 --incremental-marking-soft-trigger=80 --incremental-marking-hard-trigger=95 --liftoff-only
/**
 * The `kubeward` executable: hands argv to the command dispatcher and exits with its code.
 *
 * Node flags (the same in the Dockerfile's ENTRYPOINT and the systemd unit;
 * test/unit/deploy checks it): --max-semi-space-size=8 caps V8's young
 * generation at 16 MB instead of 64 MB. Under load the proxy's RSS stayed
 * ~90 MB lower (245 → 154 MB after GET load at c=128 and c=16) for no
 * measurable CPU per request; smaller (1 MB) cost 40-70 % more CPU at c=128.
 * --incremental-marking-soft-trigger=80 / -hard-trigger=95 start a major GC's
 * marking once 80 % (soft) or 95 % (hard) of the old generation's room since
 * the last one is used. V8's default starts it whenever that room is no
 * larger than the young generation, and with a small old generation (12-15
 * MB here) the room left after a collection is often exactly that: the proxy
 * fell into a mark-compact every ~100 ms, with LIST at one connection
 * costing ~40 % more CPU per request.
 * --liftoff-only keeps WebAssembly on V8's baseline compiler. The only
 * WebAssembly here is undici's HTTP/1.1 parser (llhttp), and V8's optimizing
 * compile of it, once it is warm (at the second upstream readiness probe,
 * 10 s after start, even with no traffic), leaves ~10 MB of freed compiler
 * memory in a worker thread's malloc arena that glibc never returns: idle RSS
 * 74.5 → 87.5 MB 13 s after start, with a 97 MB peak. The parser then costs
 * ~1 % more CPU per GET (2.6 % of the samples of a CPU profile instead of 1.4 %).
 * Heap settings cannot be changed once Node runs, hence the shebang.
 */
import { run } from "./run.ts";

/**
 * Resolves on the first SIGTERM or SIGINT; a second one exits at once.
 * Installed before anything starts, so a signal during startup is not lost.
 */
const signalled = new Promise<string>((resolve) => {
  const first = (signal: string) => {
    process.on("SIGTERM", () => process.exit(1)).on("SIGINT", () => process.exit(1));
    resolve(signal);
  };
  process.once("SIGTERM", first).once("SIGINT", first);
});

const code = await run(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  shutdownSignal: () => signalled,
});
process.exit(code);
