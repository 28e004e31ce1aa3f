/**
 * Benchmark rows, the markdown table printed at the end (with a
 * kubeward/peer ratio column) and the JSON file under bench/results/ with
 * the machine's facts.
 */
import { cpus, loadavg, totalmem } from "node:os";
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO } from "./env.ts";

/** One measured case for one target. Absent fields were not measured. */
export interface Row {
  readonly suite: "proxy" | "apiserver" | "watch" | "issuer";
  readonly case: string;
  readonly target: string;
  readonly rps?: number;
  readonly p50Ms?: number;
  readonly p99Ms?: number;
  /** CPU seconds of the target process during the case. */
  readonly cpuS?: number;
  /** Peak RSS of the target process during the case (VmHWM, reset before it). */
  readonly peakRssMb?: number;
  /** RSS at a point of the case: idle, or with the watches open. */
  readonly rssMb?: number;
  readonly errors?: number;
  readonly note?: string;
}

/** Facts about the machine and the run, recorded with the rows. */
export interface Machine {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryGb: number;
  readonly node: string;
  readonly go: string;
  readonly wrk: string;
  readonly loadAverageAtStart: readonly number[];
  readonly startedAt: string;
}

function firstLine(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).split("\n")[0]?.trim() ?? "";
  } catch (error) {
    const out = (error as { stdout?: string; stderr?: string });
    return `${out.stdout ?? ""}${out.stderr ?? ""}`.split("\n")[0]?.trim() || "unavailable";
  }
}

/** The machine's facts, read now. */
export function machineFacts(): Machine {
  return {
    cpuModel: cpus()[0]?.model ?? "unknown", cores: cpus().length, memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version, go: firstLine("go", ["version"]) || firstLine("/usr/local/go/bin/go", ["version"]),
    wrk: firstLine("wrk", ["--version"]), loadAverageAtStart: loadavg().map((l) => Math.round(l * 100) / 100), startedAt: new Date().toISOString(),
  };
}

/** The peer each kubeward row is compared with. */
const PEER: Record<Row["suite"], string> = { proxy: "kube-oidc-proxy", apiserver: "kube-oidc-proxy", watch: "kube-oidc-proxy", issuer: "dex" };

/** kubeward / peer for this row: req/s where measured, else RSS (a ratio < 1 is less memory). */
function ratio(row: Row, rows: readonly Row[]): string {
  if (!row.target.startsWith("kubeward")) return "";
  const peer = rows.find((r) => r.suite === row.suite && r.case === row.case && r.target.startsWith(PEER[row.suite]));
  if (peer === undefined) return "no peer";
  const [a, b] = row.rps !== undefined ? [row.rps, peer.rps] : [row.rssMb, peer.rssMb];
  return a !== undefined && b !== undefined && b > 0 ? `${(a / b).toFixed(2)}×` : "";
}

const fmt = (n: number | undefined, digits: number) => (n === undefined || Number.isNaN(n) ? "" : n.toFixed(digits));

/** The rows as one markdown table. */
export function markdownTable(rows: readonly Row[]): string {
  const head = "| suite | case | target | req/s | p50 ms | p99 ms | CPU s | peak RSS MB | RSS MB | errors | kubeward/peer | note |";
  const lines = rows.map((r) => `| ${[
    r.suite, r.case, r.target, fmt(r.rps, 0), fmt(r.p50Ms, 2), fmt(r.p99Ms, 2), fmt(r.cpuS, 2), fmt(r.peakRssMb, 0), fmt(r.rssMb, 0),
    r.errors === undefined ? "" : String(r.errors), ratio(r, rows), r.note ?? "",
  ].join(" | ")} |`);
  return [head, `|${"---|".repeat(12)}`, ...lines].join("\n");
}

/** Writes machine facts, arguments and rows (with ratios) to bench/results/<time>.json; returns the path. */
export function writeResults(machine: Machine, args: readonly string[], rows: readonly Row[]): string {
  const dir = join(REPO, "bench", "results");
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${machine.startedAt.replace(/[:.]/g, "-")}.json`);
  const withRatio = rows.map((r) => ({ ...r, ratio: ratio(r, rows) || undefined }));
  writeFileSync(path, `${JSON.stringify({ machine, args, loadAverageAtEnd: loadavg(), rows: withRatio }, null, 2)}\n`);
  return path;
}
