/**
 * Runs nghttp2's h2load (Debian's nghttp2-client) as a separate process on
 * loopback: one HTTP/2 connection carrying up to N concurrent streams, the
 * way client-go (and so kubectl) sends a process's requests, with a bearer
 * token on each. Returns the figures wrk returns; the percentiles come from
 * h2load's per-request log.
 */
import { readFileSync, rmSync } from "node:fs";
import { runLoadGenerator, type WrkResult } from "./wrk.ts";

/** One h2load run over a single connection. */
export interface H2loadRun {
  readonly url: string;
  /** Concurrent streams on the one connection. */
  readonly streams: number;
  readonly seconds: number;
  readonly token: string;
  /** Where h2load writes its per-request log (removed afterwards). */
  readonly logFile: string;
}

/** Runs h2load for `seconds` after a 1 s warm-up and returns requests/s, p50, p99 and errors. */
export async function runH2load(run: H2loadRun): Promise<WrkResult> {
  const args = [
    "-c1", `-m${run.streams}`, `-D${run.seconds}`, "--warm-up-time=1", "-H", `authorization: Bearer ${run.token}`, `--log-file=${run.logFile}`, run.url,
  ];
  const out = await runLoadGenerator("h2load", args, {}, run.seconds + 1);
  try {
    // "errored": streams that failed below HTTP (resets, timeouts); "failed" adds non-2xx answers.
    const errored = /requests: .*?, \d+ failed, (\d+) errored/.exec(out);
    if (errored === null) throw new Error(`h2load printed no result:\n${out}`);
    const durations: number[] = [];
    let non2xx = 0;
    for (const line of readFileSync(run.logFile, "utf8").split("\n")) {
      const [, status, us] = line.split("\t");
      if (status === undefined || us === undefined) continue;
      if (status.startsWith("2")) durations.push(Number(us));
      else if (status !== "-1") non2xx++;
    }
    durations.sort((a, b) => a - b);
    const at = (q: number) => (durations[Math.min(durations.length - 1, Math.floor(q * durations.length))] ?? 0) / 1000;
    return {
      requests: durations.length, rps: durations.length / run.seconds, p50Ms: at(0.5), p99Ms: at(0.99),
      non2xx, socketErrors: Number(errored[1]),
    };
  } finally {
    rmSync(run.logFile, { force: true });
  }
}
