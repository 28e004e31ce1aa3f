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
  /**
   * One bearer token for every request (none when empty), a file of tokens
   * (one a line) rotated per request, or a file of form bodies POSTed once
   * each (`chain`: refresh-token bodies, each answer's new token sent next).
   */
  readonly auth:
    | { readonly token: string }
    | { readonly tokensFile: string }
    | { readonly bodiesFile: string; readonly authorization: string; readonly chain?: boolean };
  /** More request headers, as `Name: value`. */
  readonly headers?: readonly string[];
}

function scriptAndEnv(auth: WrkRun["auth"]): [string, Record<string, string>] {
  if ("bodiesFile" in auth) return [auth.chain === true ? "refresh-chain.lua" : "form-post.lua", { BENCH_BODIES_FILE: auth.bodiesFile, BENCH_AUTH: auth.authorization }];
  if ("tokensFile" in auth) return ["rotate.lua", { BENCH_TOKENS_FILE: auth.tokensFile }];
  return ["bearer.lua", { BENCH_TOKEN: auth.token }];
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
  const [script, env] = scriptAndEnv(run.auth);
  const headers = (run.headers ?? []).flatMap((h) => ["-H", h]);
  const args = ["-t1", `-c${run.connections}`, `-d${run.seconds}s`, "--timeout", "10s", ...headers, "-s", join(SCRIPTS, script), run.url];
  const out = await runLoadGenerator("wrk", args, env, run.seconds);
  const line = out.split("\n").find((l) => l.startsWith("{\"requests\""));
  if (line === undefined) throw new Error(`wrk ${args.join(" ")} printed no result:\n${out}`);
  const r = JSON.parse(line) as { requests: number; durationUs: number; p50Us: number; p99Us: number; non2xx: number; socketErrors: number };
  return {
    requests: r.requests, rps: r.requests / (r.durationUs / 1e6), p50Ms: r.p50Us / 1000, p99Ms: r.p99Us / 1000,
    non2xx: r.non2xx, socketErrors: r.socketErrors,
  };
}

/**
 * Runs a load generator as its own process, killed `seconds` plus a margin
 * after it started; resolves with what it printed, rejects unless it exits 0.
 */
export async function runLoadGenerator(command: string, args: readonly string[], env: Record<string, string>, seconds: number): Promise<string> {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d: Buffer) => void (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => void (out += d.toString()));
  const killer = setTimeout(() => child.kill("SIGKILL"), (seconds + 30) * 1000);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", resolve);
  }).finally(() => clearTimeout(killer));
  if (code !== 0) throw new Error(`${command} ${args.join(" ")} failed (exit ${code}):\n${out}`);
  return out;
}
