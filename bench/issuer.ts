/**
 * The issuer suite: kubeward's issuer (memory and sqlite storage) against
 * Dex (memory storage) with the same client: discovery and JWKS fetches,
 * authorization-code exchanges and refresh grants at a fixed concurrency.
 * KUBEWARD_BENCH_ISSUER_BASELINE=DIR adds the issuer of an older checkout
 * (for example a `git worktree` with `node_modules` linked) as "kubeward@baseline".
 */
import { writeFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { join, resolve } from "node:path";
import { IDLE_SETTLE_MS, stealText, withNote } from "./lib/cases.ts";
import type { BenchEnv } from "./lib/env.ts";
import { measure, rssMb, rssSplit } from "./lib/proc-stats.ts";
import type { Row } from "./lib/report.ts";
import { runWrk, type WrkRun } from "./lib/wrk.ts";
import {
  basicAuth, codeBody, codes, jwksUri, refreshBody, refreshTokens, SESSION_USERS, startDex, startKubewardIssuer, THIS_BUILD, type BenchIssuer, type IssuerBuild,
} from "./lib/issuer-setup.ts";

export interface IssuerOptions {
  readonly seconds: number;
  readonly concurrency: number;
  /** Most codes pre-created per issuer for the exchange case (fewer if their making takes over 40 s). */
  readonly grants: number;
}

async function row(issuer: BenchIssuer, name: string, run: WrkRun, note = ""): Promise<Row> {
  const { result: r, cpuS, peakRssMb, stealPct } = await measure(issuer.pid, () => runWrk(run));
  // One-time grants: only the answers that granted count.
  const ok = r.requests - r.non2xx - r.socketErrors;
  const rps = r.requests === 0 ? 0 : r.rps * (ok / r.requests);
  const exhausted = r.non2xx > 0 && note !== "" ? "; some grants failed or ran out: a lower bound" : "";
  const measured: Row = { suite: "issuer", case: name, target: issuer.name, rps, p50Ms: r.p50Ms, p99Ms: r.p99Ms, cpuS, peakRssMb, errors: r.non2xx + r.socketErrors, stealPct };
  return withNote(withNote(measured, stealText(stealPct)), `${note}${exhausted}`);
}

async function grantRow(env: BenchEnv, issuer: BenchIssuer, name: string, bodies: readonly string[], opts: IssuerOptions, note: string, chain = false): Promise<Row> {
  const bodiesFile = join(env.dir, `bodies-${issuer.pid}.txt`);
  writeFileSync(bodiesFile, `${bodies.join("\n")}\n`);
  const run = { url: `${issuer.url}/token`, connections: opts.concurrency, seconds: opts.seconds, auth: { bodiesFile, authorization: basicAuth(), chain } };
  return row(issuer, name, run, note);
}

async function exchangeRow(env: BenchEnv, i: BenchIssuer, opts: IssuerOptions): Promise<Row> {
  const started = Date.now();
  const { codes: list, failed } = await codes(i, opts.grants, 40_000);
  const skipped = failed.length === 0 ? "" : `; ${failed.length} flows failed and were skipped, the first: ${failed[0]}`;
  const note = `${list.length} codes pre-created in ${((Date.now() - started) / 1000).toFixed(0)} s${skipped}`;
  return grantRow(env, i, `code exchange, c=${opts.concurrency}`, list.map(codeBody), opts, note);
}

async function refreshRow(env: BenchEnv, i: BenchIssuer, opts: IssuerOptions): Promise<Row> {
  const sessionCodes = await Promise.all(Array.from({ length: SESSION_USERS }, (_, k) => i.sessionCode(k)));
  const tokens = await refreshTokens(i, sessionCodes);
  const note = `${tokens.length} users, each a chain of rotating refresh tokens`;
  return grantRow(env, i, `refresh grant, c=${opts.concurrency}`, tokens.map(refreshBody), opts, note, true);
}

/** This checkout, and the one KUBEWARD_BENCH_ISSUER_BASELINE names (for before/after rows in one run). */
function builds(): IssuerBuild[] {
  const baseline = process.env.KUBEWARD_BENCH_ISSUER_BASELINE;
  return baseline === undefined || baseline === "" ? [THIS_BUILD] : [THIS_BUILD, { name: "kubeward@baseline", root: resolve(baseline) }];
}

/** Runs the issuer cases, interleaving the issuers case by case; rows go to `log` as measured. */
export async function runIssuerSuite(env: BenchEnv, opts: IssuerOptions, log: (row: Row) => void): Promise<void> {
  const issuers = [await startDex(env)];
  for (const storage of ["memory", "sqlite"] as const) {
    for (const build of builds()) issuers.push(await startKubewardIssuer(env, storage, build));
  }
  await sleep(IDLE_SETTLE_MS);
  for (const i of issuers) log({ suite: "issuer", case: "idle 15 s after start", target: i.name, rssMb: rssMb(i.pid), note: rssSplit(i.pid) });
  const c = opts.concurrency;
  for (const i of issuers) log(await row(i, `discovery GET, c=${c}`, { url: `${i.url}/.well-known/openid-configuration`, connections: c, seconds: opts.seconds, auth: { token: "" } }));
  for (const i of issuers) log(await row(i, `JWKS GET, c=${c}`, { url: await jwksUri(i), connections: c, seconds: opts.seconds, auth: { token: "" } }));
  for (const i of issuers) log(await exchangeRow(env, i, opts));
  for (const i of issuers) log(await refreshRow(env, i, opts));
  await sleep(IDLE_SETTLE_MS);
  for (const i of issuers) log({ suite: "issuer", case: "idle 15 s after load", target: i.name, rssMb: rssMb(i.pid), note: rssSplit(i.pid) });
}
