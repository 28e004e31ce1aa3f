/**
 * The revocations case (issue 6): kubeward proxy with a `revocation` section
 * over an sqlite storage holding no revocations, against the same section over
 * a storage holding 10,000 in force (user and group revocations, user and
 * group blocks), none of them matching the bench token, in front of the
 * fixed-response upstream. Each configuration is started, measured and
 * stopped `rounds` times, alternating (none, 10,000, none, 10,000, …); the
 * best run of each is reported with the ratio 10,000/none in its note
 * (target ≥ 0.95).
 */
import { loadavg } from "node:os";
import { systemClock } from "../src/clock.ts";
import { openSqliteStorage } from "../src/issuer/storage/sqlite/sqlite-storage.ts";
import type { Revocation as StoredRevocation } from "../src/issuer/storage/entities.ts";
import { blockRecord, revocationRecord } from "../src/revocation/model.ts";
import { withNote, wrkRow } from "./lib/cases.ts";
import { NODE, freePort, waitFor, type BenchEnv } from "./lib/env.ts";
import type { Row } from "./lib/report.ts";
import { probe, startFixedUpstream, type KubewardBuild, type Target, type Upstream } from "./lib/targets.ts";
import { shebangFlags } from "../test/tools/kubeward-bin.ts";
import { runWrk } from "./lib/wrk.ts";
import { SMALL_PATH, type Identity } from "./proxy.ts";

/** What to run; see bench/main.ts. */
export interface RevocationsOptions {
  readonly seconds: number;
  /** This checkout's kubeward (a baseline is not run in this case). */
  readonly build: KubewardBuild;
  /** Alternating rounds (--rounds); the best of each configuration is reported. */
  readonly rounds: number;
}

const HOUR = 3_600_000;
const MAX_TOKEN_AGE_MS = 24 * HOUR;
const TARGET = 0.95;
/** Rules in force in the loaded configuration. */
const COUNT = 10_000;
/** Connections for GET small. */
const CONCURRENCY = [16, 128] as const;

/** One configuration: a name, its storage and the config file naming it. */
interface Variant {
  readonly name: string;
  readonly config: string;
}

/** The identities whose tokens the loaded list must refuse (one of each kind). */
interface Sample {
  readonly user: string;
  readonly group: string;
  readonly blockedUser: string;
}

/**
 * Fills `file` with `count` rules in force: 60 % user revocations, 25 % group
 * revocations, 10 % user blocks (half of them timed), 5 % group blocks.
 * None names bench-user or the group bench.
 */
async function seed(file: string, count: number): Promise<Sample> {
  const storage = await openSqliteStorage({ file }, { clock: systemClock });
  try {
    const users = Math.round(count * 0.6);
    const groups = Math.round(count * 0.25);
    const userBlocks = Math.round(count * 0.1);
    const groupBlocks = count - users - groups - userBlocks;
    const now = Date.now();
    const records: StoredRevocation[] = [];
    const pad = (i: number) => String(i).padStart(5, "0");
    const revoke = (kind: "user" | "group", name: string, i: number) => revocationRecord({
      id: `rev-bench${pad(records.length)}`, kind, name, before: now - i, reason: "bench: left the company", actor: "bench", created: now - i,
    }, MAX_TOKEN_AGE_MS);
    const block = (kind: "user" | "group", name: string, i: number) => blockRecord({
      id: `blk-bench${pad(records.length)}`, kind, name, reason: "bench: under investigation", actor: "bench", created: now - i,
      ...(i % 2 === 0 ? { until: now + 2 * HOUR } : {}),
    });
    for (let i = 0; i < users; i++) records.push(revoke("user", `user-${pad(i)}@example.com`, i));
    for (let i = 0; i < groups; i++) records.push(revoke("group", `team-${pad(i)}`, i));
    for (let i = 0; i < userBlocks; i++) records.push(block("user", `blocked-${pad(i)}@example.com`, i));
    for (let i = 0; i < groupBlocks; i++) records.push(block("group", `quarantine-${pad(i)}`, i));
    for (const r of records) await storage.createRevocation(r);
    const inForce = (await storage.listRevocations()).filter((r) => r.until === undefined || r.until > Date.now()).length;
    if (inForce !== count) throw new Error(`seeded ${count} revocations but ${inForce} are in force`);
    return { user: `user-${pad(users - 1)}@example.com`, group: `team-${pad(0)}`, blockedUser: `blocked-${pad(userBlocks - 1)}@example.com` };
  } finally {
    await storage.close();
  }
}

/** Creates an empty storage (the schema only) at `file`. */
async function createEmpty(file: string): Promise<void> {
  const storage = await openSqliteStorage({ file }, { clock: systemClock });
  await storage.close();
}

/** The same flags bench/lib/targets.ts gives kubeward proxy, plus `--config` with the revocation section. */
async function startKubewardWith(env: BenchEnv, build: KubewardBuild, id: Identity, upstream: Upstream, config: string, label: string): Promise<Target & { stop(): Promise<void> }> {
  const port = await freePort();
  const args = [
    ...shebangFlags(build.entry), ...build.nodeFlags, build.entry, "proxy",
    `--oidc-issuer-url=${id.oidc.issuerUrl}`, `--oidc-client-id=${id.oidc.clientId}`, `--oidc-ca-file=${id.oidc.caFile}`,
    "--oidc-username-claim=sub", "--oidc-username-prefix=-", "--oidc-groups-claim=groups",
    `--kubeconfig=${upstream.kubeconfig}`, `--secure-port=${port}`, "--bind-address=127.0.0.1",
    `--tls-cert-file=${env.certFile}`, `--tls-private-key-file=${env.keyFile}`, `--config=${config}`, "--readiness-probe-port=0",
  ];
  const child = env.spawn(`kubeward-revocations-${label}`, NODE, args);
  const url = `https://127.0.0.1:${port}`;
  try {
    await waitFor(`kubeward (${label})`, async () => (await probe(`${url}${SMALL_PATH}`, id.token, env.caPem)) === 200, 30_000, child);
  } catch (error) {
    await child.stop(3000);
    throw error;
  }
  return { name: label, url, pid: child.pid, stop: () => child.stop(3000) };
}

/** Tokens issued five minutes ago (so before every seeded revocation) for each sampled identity. */
function sampleTokens(id: Identity, sample: Sample): Array<[string, string]> {
  const iat = Math.floor(Date.now() / 1000) - 300;
  const mint = (sub: string, groups: string[]) => id.issuer.mint({ sub, groups, iat, exp: iat + 3600 });
  return [
    [`revoked user ${sample.user}`, mint(sample.user, ["bench"])],
    [`member of revoked group ${sample.group}`, mint("someone-else", ["bench", sample.group])],
    [`blocked user ${sample.blockedUser}`, mint(sample.blockedUser, [])],
  ];
}

const load = () => loadavg().map((l) => l.toFixed(2)).join(" ");

/** Runs the case; each configuration's best row goes to `log` at the end. */
export async function runRevocationsSuite(env: BenchEnv, id: Identity, opts: RevocationsOptions, log: (row: Row) => void): Promise<void> {
  const { rounds } = opts;
  const upstream = await startFixedUpstream(env);
  const emptyDb = `${env.dir}/revocations-none.db`;
  const fullDb = `${env.dir}/revocations-${COUNT}.db`;
  await createEmpty(emptyDb);
  const seeding = Date.now();
  const sample = await seed(fullDb, COUNT);
  const seededS = (Date.now() - seeding) / 1000;
  const countText = COUNT.toLocaleString("en-US");
  console.log(`  revocations: seeded ${countText} rules in force in sqlite in ${seededS.toFixed(1)} s; load average ${load()}`);
  const section = (file: string) => JSON.stringify({ revocation: { sqliteFile: file } });
  const variants: Variant[] = [
    { name: "0 revocations", config: env.file("revocations-none.yaml", section(emptyDb)) },
    { name: `${countText} revocations`, config: env.file(`revocations-${COUNT}.yaml`, section(fullDb)) },
  ];
  const samples = sampleTokens(id, sample);
  const runs = new Map<string, Array<Row & { load: string }>>();
  for (let round = 1; round <= rounds; round++) {
    for (const [v, variant] of variants.entries()) {
      const target = await startKubewardWith(env, opts.build, id, upstream, variant.config, `${v === 0 ? "none" : COUNT}-round${round}`);
      try {
        const expected = v === 0 ? 200 : 401;
        for (const [who, token] of samples) {
          const status = await probe(`${target.url}${SMALL_PATH}`, token, env.caPem);
          if (status !== expected) throw new Error(`revocations (${variant.name}): a token of the ${who} got ${status}, not ${expected}`);
        }
        await runWrk({ url: `${target.url}${SMALL_PATH}`, connections: 16, seconds: 2, auth: { token: id.token } });
        for (const c of CONCURRENCY) {
          const at = load();
          const row = await wrkRow("proxy", `revocations: GET small, c=${c}`, { ...target, name: variant.name }, SMALL_PATH, { connections: c, seconds: opts.seconds, auth: { token: id.token } });
          console.log(`  revocations | round ${round} | ${variant.name} | c=${c}: ${row.rps?.toFixed(0)} req/s p50 ${row.p50Ms?.toFixed(2)} ms p99 ${row.p99Ms?.toFixed(2)} ms, errors ${row.errors}, load average ${at}`);
          const key = `${v} ${c}`;
          runs.set(key, [...runs.get(key) ?? [], { ...row, load: at }]);
        }
      } finally {
        await target.stop();
      }
    }
  }
  for (const c of CONCURRENCY) {
    const best = variants.map((_, v) => {
      const all = runs.get(`${v} ${c}`) ?? [];
      const top = all.reduce((a, b) => ((b.rps ?? 0) > (a.rps ?? 0) ? b : a));
      return { top, all };
    });
    const [none, full] = best;
    if (none === undefined || full === undefined) continue;
    const ratio = (full.top.rps ?? 0) / (none.top.rps ?? 1);
    for (const [v, { top, all }] of best.entries()) {
      const { load: at, ...row } = top;
      const others = all.filter((r) => r !== top);
      const runsText = `best of ${all.length} alternating runs (${all.map((r) => r.rps?.toFixed(0)).join(", ")} req/s), load average ${at}`;
      const otherErrors = others.reduce((n, r) => n + (r.errors ?? 0), 0);
      const errorsText = otherErrors > 0 ? `; ${otherErrors} errors in the other run(s)` : "";
      const ratioText = v === 0
        ? `${samples.length} sample revoked tokens got 200; `
        : `${countText}/none ${ratio.toFixed(2)}× req/s (target ≥ ${TARGET}, ${ratio >= TARGET ? "met" : "NOT met"}); the ${samples.length} sample revoked tokens got 401; `;
      log(withNote(row, `${ratioText}${runsText}${errorsText}`));
    }
  }
}
