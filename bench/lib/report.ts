/**
 * Benchmark rows, the markdown table printed at the end (with the added p99
 * over direct and a kubeward/peer column naming the peer it compares with)
 * and the JSON file under bench/results/ with the machine's facts.
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
  /** Share of the machine's CPU time the hypervisor stole during the case, percent (/proc/stat). */
  readonly stealPct?: number;
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
  readonly h2load: string;
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
    wrk: firstLine("wrk", ["--version"]), h2load: firstLine("h2load", ["--version"]), loadAverageAtStart: loadavg().map((l) => Math.round(l * 100) / 100), startedAt: new Date().toISOString(),
  };
}

/**
 * The peers a kubeward row may be compared with, in order of preference: the
 * first that ran in the same suite and case is the reference. go-oidc-proxy is
 * our Go stand-in for kube-oidc-proxy (bench/peers/go-oidc-proxy).
 */
const PEERS: Record<Row["suite"], readonly string[]> = {
  proxy: ["kube-oidc-proxy", "go-oidc-proxy"], apiserver: ["kube-oidc-proxy", "go-oidc-proxy"], watch: ["kube-oidc-proxy", "go-oidc-proxy"], issuer: ["dex"],
};

const sameCase = (a: Row, b: Row) => a.suite === b.suite && a.case === b.case;

/** The row this kubeward row is compared with, if any ran. */
function peerRow(row: Row, rows: readonly Row[]): Row | undefined {
  if (!row.target.startsWith("kubeward")) return undefined;
  for (const name of PEERS[row.suite]) {
    const peer = rows.find((r) => sameCase(r, row) && (r.target === name || r.target.startsWith(`${name}@`)) && (r.rps !== undefined || r.rssMb !== undefined));
    if (peer !== undefined) return peer;
  }
  return undefined;
}

/** p99 minus direct's p99 in the same suite and case: the latency a proxy adds. */
function addedP99(row: Row, rows: readonly Row[]): number | undefined {
  if (row.target === "direct" || row.p99Ms === undefined) return undefined;
  const direct = rows.find((r) => sameCase(r, row) && r.target === "direct" && r.p99Ms !== undefined);
  return direct?.p99Ms === undefined ? undefined : row.p99Ms - direct.p99Ms;
}

/**
 * kubeward / peer for this row, naming the peer: req/s where measured (above 1
 * is faster) and then added p99 over direct (below 1 adds less latency; left
 * out unless both added some), else RSS (below 1 is less memory).
 */
function ratio(row: Row, rows: readonly Row[]): string {
  if (!row.target.startsWith("kubeward")) return "";
  const peer = peerRow(row, rows);
  if (peer === undefined) return "no peer";
  const parts: string[] = [];
  const x = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined && b > 0 ? `${(a / b).toFixed(2)}×` : undefined);
  if (row.rps !== undefined) {
    const rps = x(row.rps, peer.rps);
    if (rps !== undefined) parts.push(`req/s ${rps}`);
    // Only when both proxies added latency: on a noisy run a p99 can fall below direct's.
    const [mine, theirs] = [addedP99(row, rows), addedP99(peer, rows)];
    const p99 = mine !== undefined && mine > 0 ? x(mine, theirs) : undefined;
    if (p99 !== undefined) parts.push(`added p99 ${p99}`);
  } else {
    const rss = x(row.rssMb, peer.rssMb);
    if (rss !== undefined) parts.push(`RSS ${rss}`);
  }
  return parts.length === 0 ? `(${peer.target})` : `${parts.join(", ")} (${peer.target})`;
}

const fmt = (n: number | undefined, digits: number) => (n === undefined || Number.isNaN(n) ? "" : n.toFixed(digits));

/** Which peers the table's kubeward rows were compared with, as a sentence under the table. */
function peerNote(rows: readonly Row[]): string {
  const used = new Map<string, Set<string>>();
  for (const r of rows) {
    const peer = peerRow(r, rows);
    if (peer !== undefined) used.set(peer.target, (used.get(peer.target) ?? new Set()).add(r.suite));
  }
  const lines = [
    "kubeward/peer: kubeward's figure divided by the peer's named in brackets, same suite and case; the peer is kube-oidc-proxy where it ran, " +
    "else go-oidc-proxy (our Go stand-in built from kube-oidc-proxy's building blocks, see docs/performance.md), and Dex for the issuer. " +
    "req/s above 1 is faster; added p99 (+p99 ms: p99 minus direct's p99 in the same case) and RSS below 1 are less.",
  ];
  const proxySuites = (name: string) => [...used.get(name) ?? []].filter((s) => s !== "issuer");
  if (proxySuites("go-oidc-proxy").length > 0) {
    lines.push(`Reference peer for the ${proxySuites("go-oidc-proxy").join(", ")} rows: go-oidc-proxy` +
      `${proxySuites("kube-oidc-proxy").length > 0 ? ` where kube-oidc-proxy did not run (kube-oidc-proxy in: ${proxySuites("kube-oidc-proxy").join(", ")})` : " (kube-oidc-proxy did not run)"}.`);
  } else if (proxySuites("kube-oidc-proxy").length > 0) {
    lines.push(`Reference peer for the ${proxySuites("kube-oidc-proxy").join(", ")} rows: kube-oidc-proxy.`);
  }
  return lines.join("\n");
}

/** One row as a progress line: its figures as measured, and its note. */
export function rowLine(row: Row): string {
  const rps = row.rps === undefined ? "" : `${row.rps.toFixed(0)} req/s p99 ${row.p99Ms?.toFixed(2)} ms `;
  const rss = row.rssMb === undefined ? "" : `RSS ${row.rssMb.toFixed(0)} MB `;
  return `${row.suite} | ${row.case} | ${row.target}: ${rps}${rss}${row.note ?? ""}`;
}

/** The rows as one markdown table, with a note on which peer each ratio compares with. */
export function markdownTable(rows: readonly Row[]): string {
  const head = "| suite | case | target | req/s | p50 ms | p99 ms | +p99 ms | CPU s | peak RSS MB | RSS MB | errors | kubeward/peer | note |";
  const lines = rows.map((r) => `| ${[
    r.suite, r.case, r.target, fmt(r.rps, 0), fmt(r.p50Ms, 2), fmt(r.p99Ms, 2), fmt(addedP99(r, rows), 2), fmt(r.cpuS, 2), fmt(r.peakRssMb, 0), fmt(r.rssMb, 0),
    r.errors === undefined ? "" : String(r.errors), ratio(r, rows), r.note ?? "",
  ].join(" | ")} |`);
  return [head, `|${"---|".repeat(13)}`, ...lines, "", peerNote(rows)].join("\n");
}

/** Writes machine facts, arguments and rows (with ratios) to bench/results/<time>.json; returns the path. */
export function writeResults(machine: Machine, args: readonly string[], rows: readonly Row[]): string {
  const dir = join(REPO, "bench", "results");
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${machine.startedAt.replace(/[:.]/g, "-")}.json`);
  const withRatio = rows.map((r) => ({ ...r, addedP99Ms: addedP99(r, rows), peer: peerRow(r, rows)?.target, ratio: ratio(r, rows) || undefined }));
  writeFileSync(path, `${JSON.stringify({ machine, args, loadAverageAtEnd: loadavg(), rows: withRatio }, null, 2)}\n`);
  return path;
}
