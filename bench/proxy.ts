/**
 * The proxy suites: direct, kube-oidc-proxy (when built), go-oidc-proxy (our
 * Go stand-in for it) and kubeward in front of one fixed-response upstream
 * (GET of a small object and a 500-item list at fixed concurrency, token
 * churn, open watches) with one issuer and one token set.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { startTestIssuer, type TestIssuer } from "../test/tools/test-issuer.ts";
import { setTimeout as sleep } from "node:timers/promises";
import { h2loadLogFile, h2loadRow, IDLE_SETTLE_MS, idleRow, inRounds, watchRow, withNote, wrkRow } from "./lib/cases.ts";
import type { BenchEnv } from "./lib/env.ts";
import { rowLine, type Row } from "./lib/report.ts";
import {
  goOidcProxyBinary, kubeOidcProxyBinary, startFixedUpstream, startGoOidcProxy, startKubeOidcProxy, startKubeward,
  type KubewardBuild, type OidcSettings, type Target, type Upstream,
} from "./lib/targets.ts";
import { runH2load } from "./lib/h2load.ts";
import { runWrk } from "./lib/wrk.ts";

/** What to run; see bench/main.ts for the flags. */
export interface ProxyOptions {
  readonly seconds: number;
  /** How often each GET, LIST and HTTP/2 case runs per target; the table shows medians. */
  readonly rounds: number;
  readonly concurrency: readonly number[];
  readonly churnTokens: number;
  readonly watches: readonly number[];
  readonly cases: ReadonlySet<string>;
  /** kubeward builds to compare: this checkout first, then an optional baseline. */
  readonly builds: readonly KubewardBuild[];
}

export const SMALL_PATH = "/api/v1/namespaces/default/configmaps/small";
export const LIST_PATH = "/api/v1/namespaces/default/configmaps";

/** The shared issuer and token every suite uses. */
export interface Identity {
  readonly issuer: TestIssuer;
  readonly oidc: OidcSettings;
  readonly token: string;
}

/** Starts the issuer and mints the long-lived token (sub bench-user, group bench). */
export async function startIdentity(env: BenchEnv): Promise<Identity> {
  const issuer = await startTestIssuer({ alg: "RS256", audience: "kubeward" });
  env.onStop(() => issuer.stop());
  const oidc = { issuerUrl: issuer.url, clientId: "kubeward", caFile: env.file("issuer-ca.pem", issuer.caPem) };
  return { issuer, oidc, token: mintFor(issuer) };
}

function mintFor(issuer: TestIssuer): string {
  const now = Math.floor(Date.now() / 1000);
  return issuer.mint({ sub: "bench-user", groups: ["bench"], iat: now, exp: now + 4 * 3600 });
}

/**
 * Starts kube-oidc-proxy (when built), go-oidc-proxy (built or reused now;
 * with kube-oidc-proxy's transport and with client-go's) and each kubeward
 * build in front of `upstream`. go-oidc-proxy is left out when
 * it cannot be built or started; `note` is told why (default: stderr).
 */
export async function startProxies(
  env: BenchEnv, id: Identity, upstream: Upstream, label: string, builds: readonly KubewardBuild[],
  note: (text: string) => void = (text) => console.error(`bench: ${text}`),
): Promise<Target[]> {
  const out: Target[] = [];
  const bin = kubeOidcProxyBinary();
  if (bin !== undefined) out.push(await startKubeOidcProxy(env, bin, id.oidc, upstream, id.token, label));
  const go = await goOidcProxyBinary();
  if ("error" in go) {
    note(`go-oidc-proxy left out: ${go.error}`);
  } else {
    for (const clientGo of [false, true]) {
      try {
        out.push(await startGoOidcProxy(env, go.bin, id.oidc, upstream, id.token, label, clientGo));
      } catch (error) {
        note(`go-oidc-proxy${clientGo ? "+client-go" : ""} left out: ${(error as Error).message.split("\n")[0]}`);
      }
    }
  }
  for (const b of builds) out.push(await startKubeward(env, b, id.oidc, upstream, id.token, label));
  return out;
}

/** Prints one round's row of a case measured in rounds. */
export function progress(row: Row, round: number): void {
  console.log(`    round ${round} | ${rowLine(row)}`);
}

/** Seconds of each warm-up load per target. */
const WARM_UP_SECONDS = 5;

/**
 * Brings every target to the state a long-running proxy serves in before the
 * first measured case: GET and LIST over HTTP/1.1 and GET over HTTP/2, each
 * at 16 connections or streams for WARM_UP_SECONDS. V8 keeps compiling
 * kubeward's request path for about 15 s of load (a fresh process after 2 s
 * of warm-up served GET at one connection at 2,230 req/s in its next 4 s,
 * 2,600–3,200 from 12 s on); the Go peers get the same load.
 */
export async function warmUp(env: BenchEnv, targets: readonly Target[], token: string): Promise<void> {
  for (const t of targets) {
    for (const path of [SMALL_PATH, LIST_PATH]) await runWrk({ url: `${t.url}${path}`, connections: 16, seconds: WARM_UP_SECONDS, auth: { token } });
    await runH2load({ url: `${t.url}${SMALL_PATH}`, streams: 16, seconds: WARM_UP_SECONDS, token, logFile: h2loadLogFile(env, t) });
  }
}

/**
 * Token churn: GET of the small object at 16 connections, every request with
 * a token the target has not seen (for `churnTokens` requests; then they wrap),
 * so every one is verified without a cache.
 */
export async function churn(
  env: BenchEnv, id: Identity, targets: readonly Target[], opts: { readonly seconds: number; readonly churnTokens: number },
  suite: Row["suite"], log: (row: Row) => void,
): Promise<void> {
  const started = Date.now();
  const tokens = Array.from({ length: opts.churnTokens }, () => mintFor(id.issuer));
  const tokensFile = join(env.dir, `churn-tokens-${suite}.txt`);
  writeFileSync(tokensFile, `${tokens.join("\n")}\n`);
  const note = `${opts.churnTokens} distinct tokens (minted in ${((Date.now() - started) / 1000).toFixed(0)} s), one per request, wrapping`;
  for (const t of targets) {
    log(withNote(await wrkRow(suite, "GET small, new token each request, c=16", t, SMALL_PATH, { connections: 16, seconds: opts.seconds, auth: { tokensFile } }), note));
  }
}

/** Runs the fixed-upstream proxy cases; every row goes to `log` as soon as it is measured. */
export async function runProxySuite(env: BenchEnv, id: Identity, opts: ProxyOptions, log: (row: Row) => void): Promise<void> {
  const upstream = await startFixedUpstream(env);
  const proxies = await startProxies(env, id, upstream, "fixed", opts.builds, (note) => log({ suite: "proxy", case: "peer", target: "go-oidc-proxy", note }));
  const targets: Target[] = [upstream, ...proxies];
  await sleep(IDLE_SETTLE_MS);
  for (const t of targets) log(withNote(idleRow("proxy", "idle 15 s after start", t), t.name === "direct" ? "the upstream process" : ""));
  await warmUp(env, targets, id.token);
  const auth = { token: id.token };
  if (opts.cases.has("proxy")) {
    const rounds = (measureOnce: (t: Target) => Promise<Row>) => inRounds(targets, opts.rounds, measureOnce, progress);
    for (const [what, path] of [["GET small", SMALL_PATH], ["LIST 500", LIST_PATH]] as const) {
      for (const c of opts.concurrency) {
        for (const row of await rounds((t) => wrkRow("proxy", `${what}, c=${c}`, t, path, { connections: c, seconds: opts.seconds, auth }))) log(row);
      }
    }
    for (const c of opts.concurrency) {
      for (const row of await rounds((t) => h2loadRow(env, `GET small, HTTP/2, one connection, ${c} streams`, t, SMALL_PATH, { streams: c, seconds: opts.seconds, token: id.token }))) log(row);
    }
    await sleep(IDLE_SETTLE_MS);
    for (const t of targets) log(idleRow("proxy", "idle 15 s after load", t));
  }
  if (opts.cases.has("churn")) await churn(env, id, targets, opts, "proxy", log);
  if (opts.cases.has("watch")) {
    for (const protocol of ["h2", "h1"] as const) {
      for (const n of opts.watches) for (const t of targets) log(await watchRow(env, t, n, id.token, protocol));
    }
  }
}
