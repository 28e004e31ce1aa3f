/**
 * What one process costs, read from /proc: CPU seconds (utime + stime),
 * current RSS (VmRSS) and its anonymous and file-backed parts, and peak RSS
 * (VmHWM), which can be reset between cases.
 */
import { readFileSync, writeFileSync } from "node:fs";

const TICKS_PER_SECOND = 100;

/** CPU seconds the process has used so far (user + system). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name, which sits in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

function statusKb(pid: number, key: string): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith(`${key}:`));
  return line === undefined ? Number.NaN : Number.parseInt(line.slice(key.length + 1), 10);
}

/** Resident set size now, in MB. */
export function rssMb(pid: number): number {
  return statusKb(pid, "VmRSS") / 1024;
}

/**
 * How the RSS splits, for a row's note: anonymous memory (heaps, stacks) and
 * file-backed pages, most of them the executable's code and read-only data
 * (about 45 MB of a Node process), shared with the page cache.
 */
export function rssSplit(pid: number): string {
  return `${(statusKb(pid, "RssAnon") / 1024).toFixed(0)} MB anonymous + ${(statusKb(pid, "RssFile") / 1024).toFixed(0)} MB file-backed`;
}

/** Peak resident set size since start or since {@link resetPeak}, in MB. */
export function peakRssMb(pid: number): number {
  return statusKb(pid, "VmHWM") / 1024;
}

/** Resets VmHWM to the current RSS (Linux clear_refs "5"); false where not permitted. */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}

/** The machine's CPU time so far, in clock ticks: all of it, and what the hypervisor gave other guests (steal). */
function machineTicks(): { total: number; steal: number } {
  const fields = (readFileSync("/proc/stat", "utf8").split("\n", 1)[0] ?? "").trim().split(/\s+/).slice(1, 9).map(Number);
  return { total: fields.reduce((a, b) => a + b, 0), steal: fields[7] ?? 0 };
}

/**
 * CPU and peak RSS of `pid` while `work` runs, and the share of the
 * machine's CPU time stolen by the hypervisor meanwhile (percent): on a
 * shared VM a case with steal is slower for reasons outside every target.
 */
export async function measure<T>(pid: number, work: () => Promise<T>): Promise<{ result: T; cpuS: number; peakRssMb: number; stealPct: number }> {
  resetPeak(pid);
  const before = cpuSeconds(pid);
  const ticks = machineTicks();
  const result = await work();
  const after = machineTicks();
  const stealPct = after.total > ticks.total ? (100 * (after.steal - ticks.steal)) / (after.total - ticks.total) : 0;
  return { result, cpuS: cpuSeconds(pid) - before, peakRssMb: peakRssMb(pid), stealPct };
}
