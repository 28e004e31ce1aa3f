/**
 * `npm run bench`: kubeward against its peers, side by side in one run on one
 * machine, printed as a markdown table and saved under bench/results/.
 * Flags: --only proxy,churn,watch,revocations,apiserver,issuer   --seconds N
 *        --rounds N (runs of each GET, LIST and HTTP/2 case per target, medians; of each revocations configuration, the best)
 *        --concurrency 1,16,128   --watches 1000,5000   --churn-tokens N
 *        --grants N (most authorization codes pre-created per issuer)
 *        --cpu-prof (a V8 profile of kubeward proxy into bench/results/)
 *        --baseline DIR (also run kubeward from another checkout, e.g. a
 *        `git worktree` of an older commit, as "kubeward@baseline")
 * kubeward runs as users run it: each checkout is built first with its own
 * `npm run build` and started from its dist/cli/main.js.
 */
import { spawnSync } from "node:child_process";
import { parseArgs } from "node:util";
import { join, resolve } from "node:path";
import { createBenchEnv, REPO, type BenchEnv } from "./lib/env.ts";
import { machineFacts, markdownTable, rowLine, writeResults, type Row } from "./lib/report.ts";
import { runProxySuite, startIdentity } from "./proxy.ts";
import { runIssuerSuite } from "./issuer.ts";
import { runApiserverSuite } from "./apiserver.ts";
import { runRevocationsSuite } from "./revocations.ts";

const ALL = ["proxy", "churn", "watch", "revocations", "apiserver", "issuer"];

const { values } = parseArgs({
  options: {
    only: { type: "string", default: ALL.join(",") },
    seconds: { type: "string", default: "5" },
    rounds: { type: "string", default: "3" },
    concurrency: { type: "string", default: "1,16,128" },
    watches: { type: "string", default: "1000,5000" },
    "churn-tokens": { type: "string", default: "20000" },
    grants: { type: "string", default: "12000" },
    "cpu-prof": { type: "boolean", default: false },
    baseline: { type: "string" },
  },
});

const numbers = (s: string) => s.split(",").map((x) => Number.parseInt(x, 10)).filter((n) => n > 0);
const cases = new Set(values.only.split(","));
for (const c of cases) if (!ALL.includes(c)) throw new Error(`--only: unknown case "${c}" (known: ${ALL.join(", ")})`);
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds: "${values.rounds}" is not a whole number of at least 1`);

const machine = machineFacts();
console.log(`kubeward bench: ${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}, ${machine.go}, load average ${machine.loadAverageAtStart.join(" ")}`);
const rows: Row[] = [];
const log = (row: Row) => {
  rows.push(row);
  console.log(`  ${rowLine(row)}`);
};

/**
 * Builds the checkout at `repo` with its own `npm run build` (a baseline
 * checkout needs its node_modules) and returns its CLI entry; a failed build
 * stops the bench.
 */
function buildEntry(repo: string): string {
  const started = Date.now();
  const built = spawnSync("npm", ["run", "--silent", "build"], { cwd: repo, encoding: "utf8" });
  if (built.status !== 0) {
    const output = `${built.stdout}${built.stderr}`.trim() || (built.error?.message ?? `exit ${built.status}`);
    throw new Error(`bench: could not build ${repo} (npm run build); the bench runs its dist/cli/main.js:\n${output}`);
  }
  console.log(`built ${repo} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return join(repo, "dist", "cli", "main.js");
}

const entry = buildEntry(REPO);
const baselineEntry = values.baseline === undefined ? undefined : buildEntry(resolve(values.baseline));
const env = await createBenchEnv();
const stopAll = () => void env.stop().finally(() => process.exit(130));
process.once("SIGINT", stopAll);
process.once("SIGTERM", stopAll);
let failed = false;
/**
 * Runs one suite in its own scope of the workspace, and stops what it started
 * before the next suite measures; a failure is reported and the next suite
 * still runs.
 */
async function suite(name: string, run: (scoped: BenchEnv) => Promise<void>): Promise<void> {
  const scoped = env.scope();
  try {
    await run(scoped);
  } catch (error) {
    failed = true;
    console.error(`bench: the ${name} suite failed: ${(error as Error).stack ?? String(error)}`);
    for (const exit of scoped.exited()) console.error(`bench: ${exit}`);
  } finally {
    await scoped.stop();
  }
}
try {
  const id = await startIdentity(env);
  const prof = values["cpu-prof"] ? ["--cpu-prof", `--cpu-prof-dir=${join(REPO, "bench", "results")}`] : [];
  const builds = [{ name: "kubeward", entry, nodeFlags: prof }];
  if (baselineEntry !== undefined) builds.push({ name: "kubeward@baseline", entry: baselineEntry, nodeFlags: [] });
  if (cases.has("proxy") || cases.has("churn") || cases.has("watch")) {
    const opts = { seconds, rounds, concurrency: numbers(values.concurrency), churnTokens: Number(values["churn-tokens"]), watches: numbers(values.watches), cases, builds };
    await suite("proxy", (scoped) => runProxySuite(scoped, id, opts, log));
  }
  if (cases.has("revocations")) await suite("revocations", (scoped) => runRevocationsSuite(scoped, id, { seconds, rounds, build: { name: "kubeward", entry, nodeFlags: prof } }, log));
  if (cases.has("apiserver")) await suite("apiserver", (scoped) => runApiserverSuite(scoped, id, {
    seconds, rounds, concurrency: numbers(values.concurrency), churnTokens: Number(values["churn-tokens"]), watches: numbers(values.watches), builds,
  }, log));
  if (cases.has("issuer")) await suite("issuer", (scoped) => runIssuerSuite(scoped, { seconds, concurrency: 16, grants: Number(values.grants) }, log));
} finally {
  await env.stop();
}
console.log(`\n${markdownTable(rows)}\n`);
console.log(`results: ${writeResults(machine, process.argv.slice(2), rows)}`);
if (failed) process.exitCode = 1;
