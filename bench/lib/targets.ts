/**
 * The things a proxy benchmark sends traffic to, each a process whose CPU and
 * memory are read from /proc: the upstream itself ("direct"), kubeward proxy
 * and kube-oidc-proxy, both given the same OIDC settings and the same upstream.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { homedir } from "node:os";
import { request } from "node:https";
import { REPO, NODE, freePort, waitFor, type BenchEnv } from "./env.ts";

/** A running target: its base URL and the pid whose cost is measured. */
export interface Target {
  readonly name: string;
  readonly url: string;
  readonly pid: number;
}

/** OIDC settings shared by both proxies. */
export interface OidcSettings {
  readonly issuerUrl: string;
  readonly clientId: string;
  readonly caFile: string;
}

/** Where an upstream is and how a proxy authenticates to it. */
export interface Upstream {
  readonly url: string;
  /** kubeconfig naming the upstream and the proxy's credentials. */
  readonly kubeconfig: string;
}

/** GET `url` with a bearer token trusting `caPem`; resolves with the status. */
export function probe(url: string, token: string, caPem: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca: caPem, headers: { authorization: `Bearer ${token}` }, agent: false, timeout: 5000 }, (res) => {
      res.resume();
      res.once("end", () => resolve(res.statusCode ?? 0));
    });
    req.once("timeout", () => req.destroy(new Error("timeout")));
    req.once("error", reject);
    req.end();
  });
}

/** Starts the fixed-response upstream and a kubeconfig pointing at it (any token is accepted). */
export async function startFixedUpstream(env: BenchEnv): Promise<Target & Upstream> {
  const port = await freePort();
  const child = env.spawn("fixed-upstream", NODE, [join(REPO, "bench", "servers", "fixed-upstream.ts"), String(port), env.certFile, env.keyFile]);
  const url = `https://127.0.0.1:${port}`;
  await waitFor("fixed upstream", async () => (await probe(`${url}/readyz`, "x", env.caPem)) === 200, 20_000, child);
  const kubeconfig = env.file("fixed-upstream.kubeconfig", kubeconfigJson(url, env.caPem, "bench-upstream-token"));
  return { name: "direct", url, pid: child.pid, kubeconfig };
}

function kubeconfigJson(server: string, caPem: string, token: string): string {
  return JSON.stringify({
    apiVersion: "v1", kind: "Config", "current-context": "bench",
    clusters: [{ name: "bench", cluster: { server, "certificate-authority-data": Buffer.from(caPem).toString("base64") } }],
    users: [{ name: "bench", user: { token } }],
    contexts: [{ name: "bench", context: { cluster: "bench", user: "bench" } }],
  });
}

/** The flags both proxies share, spelled the same way. */
function commonFlags(env: BenchEnv, oidc: OidcSettings, upstream: Upstream, port: number): string[] {
  return [
    `--oidc-issuer-url=${oidc.issuerUrl}`, `--oidc-client-id=${oidc.clientId}`, `--oidc-ca-file=${oidc.caFile}`,
    "--oidc-username-claim=sub", "--oidc-username-prefix=-", "--oidc-groups-claim=groups",
    `--kubeconfig=${upstream.kubeconfig}`, `--secure-port=${port}`, "--bind-address=127.0.0.1",
    `--tls-cert-file=${env.certFile}`, `--tls-private-key-file=${env.keyFile}`,
  ];
}

/** Which kubeward to start: this checkout, or another one (a baseline, shown as "kubeward@baseline"). */
export interface KubewardBuild {
  readonly name: string;
  /** The CLI's entry: src/cli/main.ts (type stripping) or dist/cli/main.js (compiled). */
  readonly entry: string;
  /** Extra Node flags, such as --cpu-prof. */
  readonly nodeFlags: readonly string[];
}

/** Starts `kubeward proxy` from `build` and waits until a valid token gets 200. */
export async function startKubeward(env: BenchEnv, build: KubewardBuild, oidc: OidcSettings, upstream: Upstream, token: string, label: string): Promise<Target> {
  const port = await freePort();
  const args = [...build.nodeFlags, build.entry, "proxy", ...commonFlags(env, oidc, upstream, port), "--readiness-probe-port=0"];
  const child = env.spawn(`${build.name.replace("@", "-")}-${label}`, NODE, args);
  const url = `https://127.0.0.1:${port}`;
  await waitFor(build.name, async () => (await probe(`${url}/api/v1/namespaces/default/configmaps/small`, token, env.caPem)) === 200, 30_000, child);
  return { name: build.name, url, pid: child.pid };
}

/** The kube-oidc-proxy binary scripts/fixtures/build.sh builds, if it is there. */
export function kubeOidcProxyBinary(): string | undefined {
  const versions = readFileSync(join(REPO, "scripts", "fixtures", "versions.env"), "utf8");
  const version = /^KUBE_OIDC_PROXY_VERSION=(.*)$/m.exec(versions)?.[1];
  const dir = process.env["KUBEWARD_FIXTURES_DIR"] ?? join(homedir(), ".cache", "kubeward", "fixtures");
  const bin = join(dir, "bin", `kube-oidc-proxy-${version}`);
  return version !== undefined && existsSync(bin) ? bin : undefined;
}

/** Starts kube-oidc-proxy with the same flags and waits until a valid token gets 200. */
export async function startKubeOidcProxy(env: BenchEnv, bin: string, oidc: OidcSettings, upstream: Upstream, token: string, label: string): Promise<Target> {
  const port = await freePort();
  const child = env.spawn(`kube-oidc-proxy-${label}`, bin, [...commonFlags(env, oidc, upstream, port), "--readiness-probe-port=0"]);
  const url = `https://127.0.0.1:${port}`;
  await waitFor("kube-oidc-proxy", async () => (await probe(`${url}/api/v1/namespaces/default/configmaps/small`, token, env.caPem)) === 200, 60_000, child);
  return { name: "kube-oidc-proxy", url, pid: child.pid };
}
