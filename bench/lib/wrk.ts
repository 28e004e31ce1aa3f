/**
 * Runs Debian's wrk as a separate process on loopback with one of the Lua
 * scripts in bench/wrk/ and returns its figures (requests/s, p50, p99, errors).
 */
import { spawn } from "node:child_process";
import { join } from "node:path";

const SCRIPTS = join(import.meta.dirname, "..", "wrk");

/** One wrk run. */
export interface WrkRun {
  readonly url: string;
  readonly connections: number;
  readonly seconds: number;
  /** One token for every request, or a file of tokens (one a line) rotated per request. */
  readonly auth: { readonly token: string } | { readonly tokensFile: string };
}

/** What wrk measured. */
export interface WrkResult {
  readonly requests: number;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly non2xx: number;
  readonly socketErrors: number;
}

/** Runs wrk to completion (bounded by `seconds` plus a margin) and parses the JSON line its script prints. */
export async function runWrk(run: WrkRun): Promise<WrkResult> {
  const rotate = "tokensFile" in run.auth;
  const env = rotate ? { BENCH_TOKENS_FILE: (run.auth as { tokensFile: string }).tokensFile } : { BENCH_TOKEN: (run.auth as { token: string }).token };
  const args = ["-t1", `-c${run.connections}`, `-d${run.seconds}s`, "--timeout", "10s", "-s", join(SCRIPTS, rotate ? "rotate.lua" : "bearer.lua"), run.url];
  const child = spawn("wrk", args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d: Buffer) => void (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => void (out += d.toString()));
  const killer = setTimeout(() => child.kill("SIGKILL"), (run.seconds + 30) * 1000);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", resolve);
  }).finally(() => clearTimeout(killer));
  const line = out.split("\n").find((l) => l.startsWith("{\"requests\""));
  if (code !== 0 || line === undefined) throw new Error(`wrk ${args.join(" ")} failed (exit ${code}):\n${out}`);
  const r = JSON.parse(line) as { requests: number; durationUs: number; p50Us: number; p99Us: number; non2xx: number; socketErrors: number };
  return {
    requests: r.requests, rps: r.requests / (r.durationUs / 1e6), p50Ms: r.p50Us / 1000, p99Ms: r.p99Us / 1000,
    non2xx: r.non2xx, socketErrors: r.socketErrors,
  };
}
