/**
 * The realistic rows: a real kube-apiserver (etcd, RBAC, OIDC flags pointing
 * at the bench issuer) reached directly with the same tokens and through each
 * proxy, for GET of one ConfigMap and a list of 500 at each concurrency level,
 * token churn, and open watches.
 */
import { readdirSync, readFileSync } from "node:fs";
import { startCluster } from "../test/fixtures/cluster/cluster.ts";
import { inRounds, watchRow, withNote, wrkRow } from "./lib/cases.ts";
import { waitFor, type BenchEnv } from "./lib/env.ts";
import type { Row } from "./lib/report.ts";
import { probe, type KubewardBuild, type Target } from "./lib/targets.ts";
import { churn, LIST_PATH, progress, SMALL_PATH, startProxies, warmUp, type Identity } from "./proxy.ts";

export interface ApiserverOptions {
  readonly seconds: number;
  /** How many times each case is measured (the row is the median). */
  readonly rounds: number;
  /** Connection counts, each measured for GET and LIST. */
  readonly concurrency: readonly number[];
  readonly churnTokens: number;
  /** Counts of open watches, each measured over HTTP/2 and HTTP/1.1. */
  readonly watches: readonly number[];
  readonly builds: readonly KubewardBuild[];
}

/**
 * What kubectl and every client-go program send (Go's transport asks for gzip
 * unless told not to): kube-apiserver then compresses responses of 128 KiB
 * and more, the LIST of 500 among them, and the proxies pass them on as they
 * are. Without it the Go peers' transport asks for gzip itself and inflates
 * the answer, while kubeward relays what the client asked for, uncompressed.
 */
const KUBECTL_ACCEPT_ENCODING = "Accept-Encoding: gzip";

/**
 * A watch of the small ConfigMap, as `kubectl get configmap small --watch`:
 * its one ADDED event is the first thing each watch receives. A watch of all
 * 500 would first replay them all, to every watch.
 */
const WATCH_PATH = "/api/v1/namespaces/default/configmaps?watch=1&fieldSelector=metadata.name%3Dsmall";

/** The bench user's group may read; one small ConfigMap and 500 more. */
function manifests(): string {
  // Not the built-in "view": it is aggregated by kube-controller-manager, which this cluster does not run.
  const role = {
    apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", metadata: { name: "bench-read-configmaps" },
    rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list", "watch"] }],
  };
  const binding = {
    apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRoleBinding", metadata: { name: "bench-read-configmaps" },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "bench-read-configmaps" },
    subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: "bench" }],
  };
  const cm = (name: string) => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "default" }, data: { "app.properties": "color=blue\nsize=medium\nreplicas=3\n", owner: "team-a" } });
  const items = [role, binding, cm("small"), ...Array.from({ length: 499 }, (_, i) => cm(`cm-${i}`))];
  return JSON.stringify({ apiVersion: "v1", kind: "List", items });
}

/** The pid of the kube-apiserver whose command line mentions `dir`. */
function apiserverPid(dir: string): number {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      if (cmd[0]?.endsWith("kube-apiserver") === true || cmd[0]?.includes("/kube-apiserver-") === true) {
        if (cmd.some((a) => a.includes(dir))) return Number(entry);
      }
    } catch {
      // The process ended while we looked.
    }
  }
  throw new Error(`no kube-apiserver process for ${dir}`);
}

/** Starts the cluster, seeds it, and measures direct and proxied; rows go to `log`. */
export async function runApiserverSuite(env: BenchEnv, id: Identity, opts: ApiserverOptions, log: (row: Row) => void): Promise<void> {
  const oidc = [
    `--oidc-issuer-url=${id.oidc.issuerUrl}`, `--oidc-client-id=${id.oidc.clientId}`, `--oidc-ca-file=${id.oidc.caFile}`,
    "--oidc-username-claim=sub", "--oidc-username-prefix=-", "--oidc-groups-claim=groups",
  ];
  const cluster = await startCluster({ apiserverArgs: oidc });
  env.onStop(() => cluster.stop());
  const applied = await cluster.kubectlAs(cluster.adminKubeconfig, ["apply", "-f", "-"], { input: manifests(), timeoutMs: 120_000 });
  if (applied.code !== 0) throw new Error(`seeding the cluster failed: ${applied.stderr}`);
  const direct: Target = { name: "direct", url: cluster.server, pid: apiserverPid(cluster.dir) };
  let status = 0;
  await waitFor("kube-apiserver's OIDC authenticator", async () => (status = await probe(`${direct.url}${SMALL_PATH}`, id.token, cluster.caPem)) === 200, 60_000)
    .catch((e: Error) => { throw new Error(`${e.message} (last answer ${status})`); });
  const proxies = await startProxies(env, id, { url: cluster.server, kubeconfig: cluster.proxyKubeconfig }, "apiserver", opts.builds);
  await warmUp(env, [direct, ...proxies], id.token);
  for (const [what, path] of [["GET small", SMALL_PATH], ["LIST 500", LIST_PATH]] as const) {
    for (const c of opts.concurrency) {
      const measureOnce = (t: Target) => wrkRow("apiserver", `${what}, c=${c}`, t, path, { connections: c, seconds: opts.seconds, auth: { token: id.token }, headers: [KUBECTL_ACCEPT_ENCODING] });
      for (const row of await inRounds([direct, ...proxies], opts.rounds, measureOnce, progress)) {
        log(withNote(row, row.target === "direct" ? "kube-apiserver itself (its own OIDC check)" : ""));
      }
    }
  }
  await churn(env, id, [direct, ...proxies], opts, "apiserver", log);
  // The watch client trusts kube-apiserver's CA and the proxies' serving CA.
  const place = { suite: "apiserver", path: WATCH_PATH, caFile: env.file("watch-ca.pem", `${env.caPem}${cluster.caPem}`) } as const;
  for (const protocol of ["h2", "h1"] as const) {
    for (const n of opts.watches) for (const t of [direct, ...proxies]) log(await watchRow(env, t, n, id.token, protocol, place));
  }
}
