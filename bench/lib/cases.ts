/**
 * The measured cases shared by the proxy suites: a wrk or h2load run against
 * one target with its process's CPU and peak RSS, and N open watches with the
 * target's RSS while they are open.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { measure, peakRssMb, resetPeak, rssMb, rssSplit } from "./proc-stats.ts";
import { runWrk, type WrkRun } from "./wrk.ts";
import { runH2load } from "./h2load.ts";
import { REPO, NODE, waitFor, type BenchEnv } from "./env.ts";
import type { Row } from "./report.ts";
import type { Target } from "./targets.ts";

/** Steal of 1 % or more is worth a note: the case ran on a machine partly taken by other guests. */
const STEAL_NOTE_PCT = 1;

/** "steal N %" for a row's note, or "" below {@link STEAL_NOTE_PCT}. */
export function stealText(stealPct: number): string {
  return stealPct >= STEAL_NOTE_PCT ? `steal ${stealPct.toFixed(0)} %` : "";
}

/** `row` with `text` put before its note (joined by "; "); no note when both are empty. */
export function withNote(row: Row, text: string): Row {
  const note = [text, row.note ?? ""].filter((t) => t !== "").join("; ");
  return note === "" ? row : { ...row, note };
}

/** Runs wrk against `target` and returns the row. */
export async function wrkRow(suite: Row["suite"], name: string, target: Target, path: string, run: Omit<WrkRun, "url">): Promise<Row> {
  const { result, cpuS, peakRssMb: peak, stealPct } = await measure(target.pid, () => runWrk({ ...run, url: `${target.url}${path}` }));
  return withNote({
    suite, case: name, target: target.name, rps: result.rps, p50Ms: result.p50Ms, p99Ms: result.p99Ms, cpuS, peakRssMb: peak,
    errors: result.non2xx + result.socketErrors, stealPct,
  }, stealText(stealPct));
}

/** Where h2load writes its per-request log for `target` (one run at a time; runH2load removes it). */
export function h2loadLogFile(env: BenchEnv, target: Target): string {
  return join(env.dir, `h2load-${target.name.replace("+", "-")}.log`);
}

/** Runs h2load (one HTTP/2 connection, `streams` concurrent streams) against `target` and returns the row. */
export async function h2loadRow(env: BenchEnv, name: string, target: Target, path: string, run: { streams: number; seconds: number; token: string }): Promise<Row> {
  const logFile = h2loadLogFile(env, target);
  try {
    const { result, cpuS, peakRssMb: peak, stealPct } = await measure(target.pid, () => runH2load({ ...run, url: `${target.url}${path}`, logFile }));
    return withNote({
      suite: "proxy", case: name, target: target.name, rps: result.rps, p50Ms: result.p50Ms, p99Ms: result.p99Ms, cpuS, peakRssMb: peak,
      errors: result.non2xx + result.socketErrors, stealPct,
    }, stealText(stealPct));
  } catch (error) {
    // A target that does not speak HTTP/2 gets a row saying so rather than ending the suite.
    return { suite: "proxy", case: name, target: target.name, note: `failed: ${(error as Error).message.split("\n")[0]}` };
  }
}

const median = (xs: readonly number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] as number : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

/**
 * Measures every target `rounds` times, in forward then reverse order and so
 * on, so that a slow spell of a shared machine does not fall on one target
 * only, and returns one row per target (in `targets`' order): the median of
 * each figure, the highest peak RSS, and the spread of req/s in the note.
 * `progress` sees every round's row as it is measured.
 */
export async function inRounds(targets: readonly Target[], rounds: number, measureOnce: (target: Target) => Promise<Row>, progress: (row: Row, round: number) => void): Promise<Row[]> {
  const byTarget = new Map<string, Row[]>(targets.map((t) => [t.name, []]));
  for (let r = 0; r < rounds; r++) {
    for (const t of r % 2 === 0 ? targets : [...targets].reverse()) {
      const row = await measureOnce(t);
      progress(row, r + 1);
      byTarget.get(t.name)?.push(row);
    }
  }
  return targets.map((t) => {
    const all = byTarget.get(t.name) as Row[];
    const measured = all.filter((row) => row.rps !== undefined);
    if (all.length === 1 || measured.length !== all.length) return all.find((row) => row.rps === undefined) ?? all[0] as Row;
    const of = (pick: (row: Row) => number | undefined) => median(measured.map((row) => pick(row) ?? Number.NaN));
    const rps = measured.map((row) => row.rps as number);
    const steal = Math.max(...measured.map((row) => row.stealPct ?? 0));
    return {
      ...all[0] as Row,
      rps: of((row) => row.rps), p50Ms: of((row) => row.p50Ms), p99Ms: of((row) => row.p99Ms), cpuS: of((row) => row.cpuS),
      peakRssMb: Math.max(...measured.map((row) => row.peakRssMb ?? 0)), errors: measured.reduce((sum, row) => sum + (row.errors ?? 0), 0),
      stealPct: steal,
      note: `median of ${rounds} rounds, req/s ${Math.min(...rps).toFixed(0)}–${Math.max(...rps).toFixed(0)}${steal >= STEAL_NOTE_PCT ? `; steal up to ${steal.toFixed(0)} %` : ""}`,
    };
  });
}

/**
 * How long after start, after the load or after the watches opened memory is
 * read: past kubeward proxy's first periodic upstream readiness probe (10 s),
 * so the row shows a process left idle, not one caught in its first second (a
 * proxy's RSS once grew 13 MB at that probe; see src/cli/main.ts), and past
 * the 8 s V8 waits after a major GC before it collects to give memory back
 * (see src/cli/memory-reducer.ts).
 */
export const IDLE_SETTLE_MS = 15_000;

/** The target's resident memory now, as a row. */
export function idleRow(suite: Row["suite"], name: string, target: Target): Row {
  return { suite, case: name, target: target.name, rssMb: rssMb(target.pid), peakRssMb: peakRssMb(target.pid), note: rssSplit(target.pid) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** When a watch row also reads RSS, after the last watch opened: before a settled process would have given memory back. */
const WATCH_EARLY_MS = 2_000;

/** Where {@link watchRow} watches, when not the fixed upstream's watch of ConfigMaps in its own suite. */
export interface WatchPlace {
  readonly suite: Row["suite"];
  /** Path and query of the watch. */
  readonly path: string;
  /** PEM bundle the client trusts: the CAs of every target it is pointed at. */
  readonly caFile: string;
}

/**
 * Opens `count` watches through `target` from a separate client process, over
 * HTTP/2 (250 per connection, as client-go multiplexes them) or HTTP/1.1 (a
 * connection each, as separate kubectl processes); reads the target's RSS
 * while they are open: {@link IDLE_SETTLE_MS} after the last one opened, as a
 * long-lived watch sees it, and 2 s after (in the note).
 */
export async function watchRow(env: BenchEnv, target: Target, count: number, token: string, protocol: "h1" | "h2", place?: WatchPlace): Promise<Row> {
  const suite = place?.suite ?? "watch";
  const name = `${count} open watches, ${protocol === "h2" ? "HTTP/2, 250 per connection" : "HTTP/1.1, a connection each"}`;
  resetPeak(target.pid);
  const url = `${target.url}${place?.path ?? "/api/v1/namespaces/default/configmaps?watch=1"}`;
  const client = env.spawn(`watch-${target.name.replace("+", "-")}-${count}-${protocol}`, NODE, [join(REPO, "bench", "servers", "watch-client.ts"), url, String(count), token, place?.caFile ?? env.caFile, protocol]);
  try {
    let opened = "";
    await waitFor(`${count} watches through ${target.name}`, async () => {
      opened = /^open (\d+) (\d+)$/m.exec(readFileSync(client.logFile, "utf8"))?.[2] ?? "";
      return opened !== "";
    }, 180_000, client);
    await sleep(WATCH_EARLY_MS);
    const early = rssMb(target.pid);
    await sleep(IDLE_SETTLE_MS - WATCH_EARLY_MS);
    return {
      suite, case: name, target: target.name, rssMb: rssMb(target.pid), peakRssMb: peakRssMb(target.pid),
      note: `opened in ${(Number(opened) / 1000).toFixed(1)} s; ${early.toFixed(0)} MB ${WATCH_EARLY_MS / 1000} s after; ${rssSplit(target.pid)}`,
    };
  } catch (error) {
    return { suite, case: name, target: target.name, note: `failed: ${(error as Error).message.split("\n")[0]}` };
  } finally {
    await client.stop(3000);
    await sleep(2000);
  }
}
