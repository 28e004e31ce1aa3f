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
    // From the summary: "errored" are streams that failed below HTTP (resets, timeouts), and the status-code counts.
    const errored = /requests: .*?, \d+ failed, (\d+) errored/.exec(out);
    const codes = /status codes: \d+ 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/.exec(out);
    if (errored === null || codes === null) throw new Error(`h2load printed no result:\n${out}`);
    // The log's latencies of 2xx answers. Streams begun in the warm-up and ended after it are logged with status 0: not counted.
    const durations: number[] = [];
    for (const line of readFileSync(run.logFile, "utf8").split("\n")) {
      const [, status, us] = line.split("\t");
      if (status?.startsWith("2") === true && us !== undefined) durations.push(Number(us));
    }
    durations.sort((a, b) => a - b);
    const at = (q: number) => (durations[Math.min(durations.length - 1, Math.floor(q * durations.length))] ?? 0) / 1000;
    return {
      requests: durations.length, rps: durations.length / run.seconds, p50Ms: at(0.5), p99Ms: at(0.99),
      non2xx: Number(codes[1]) + Number(codes[2]) + Number(codes[3]), socketErrors: Number(errored[1]),
    };
  } finally {
    rmSync(run.logFile, { force: true });
  }
}
