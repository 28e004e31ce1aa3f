/**
 * The things a proxy benchmark sends traffic to, each a process whose CPU and
 * memory are read from /proc: the upstream itself ("direct"), kubeward proxy,
 * kube-oidc-proxy (when it could be built) and go-oidc-proxy (our Go stand-in
 * for it, bench/peers/go-oidc-proxy), all given the same OIDC settings and the
 * same upstream.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { homedir } from "node:os";
import { request } from "node:https";
import { shebangFlags } from "../../test/tools/kubeward-bin.ts";
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

/** The flags every proxy shares, spelled the same way. */
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
  /** The CLI's entry: src/cli/main.ts (type stripping) or dist/cli/main.js (bundled). */
  readonly entry: string;
  /** Extra Node flags, such as --cpu-prof. */
  readonly nodeFlags: readonly string[];
}

/** Starts `kubeward proxy` from `build` (with its shebang's Node flags) and waits until a valid token gets 200. */
export async function startKubeward(env: BenchEnv, build: KubewardBuild, oidc: OidcSettings, upstream: Upstream, token: string, label: string): Promise<Target> {
  const port = await freePort();
  const args = [...shebangFlags(build.entry), ...build.nodeFlags, build.entry, "proxy", ...commonFlags(env, oidc, upstream, port), "--readiness-probe-port=0"];
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
export function startKubeOidcProxy(env: BenchEnv, bin: string, oidc: OidcSettings, upstream: Upstream, token: string, label: string): Promise<Target> {
  return startGoProxy(env, "kube-oidc-proxy", bin, oidc, upstream, token, label);
}

/**
 * Starts go-oidc-proxy with the same flags and waits until a valid token gets
 * 200: with kube-oidc-proxy's own upstream transport, or with client-go's
 * (`rest.TransportFor`: HTTP/2 and a full keep-alive pool), the best a Go
 * proxy of this shape does, shown as "go-oidc-proxy+client-go".
 */
export function startGoOidcProxy(env: BenchEnv, bin: string, oidc: OidcSettings, upstream: Upstream, token: string, label: string, clientGo = false): Promise<Target> {
  return clientGo
    ? startGoProxy(env, "go-oidc-proxy+client-go", bin, oidc, upstream, token, label, ["--client-go-transport"])
    : startGoProxy(env, "go-oidc-proxy", bin, oidc, upstream, token, label);
}

async function startGoProxy(env: BenchEnv, name: string, bin: string, oidc: OidcSettings, upstream: Upstream, token: string, label: string, extra: readonly string[] = []): Promise<Target> {
  const port = await freePort();
  const child = env.spawn(`${name.replace("+", "-")}-${label}`, bin, [...commonFlags(env, oidc, upstream, port), "--readiness-probe-port=0", ...extra]);
  const url = `https://127.0.0.1:${port}`;
  try {
    await waitFor(name, async () => (await probe(`${url}/api/v1/namespaces/default/configmaps/small`, token, env.caPem)) === 200, 60_000, child);
  } catch (error) {
    await child.stop(3000);
    throw error;
  }
  return { name, url, pid: child.pid };
}

/** The go-oidc-proxy binary, or why there is none. */
export type GoOidcProxyBuild = { readonly bin: string } | { readonly error: string };

let goOidcProxyBuild: Promise<GoOidcProxyBuild> | undefined;

/**
 * Builds go-oidc-proxy from bench/peers/go-oidc-proxy with
 * `scripts/fixtures/build.sh go-oidc-proxy` (a cached binary per source hash,
 * so this is quick unless the source changed), once per bench run. The
 * script's log goes to stderr; its last stdout line is the binary's path.
 */
export function goOidcProxyBinary(): Promise<GoOidcProxyBuild> {
  goOidcProxyBuild ??= new Promise((resolve) => {
    const child = spawn("bash", [join(REPO, "scripts", "fixtures", "build.sh"), "go-oidc-proxy"], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => { out += d; });
    child.stderr.setEncoding("utf8").on("data", (d: string) => { err += d; process.stderr.write(d); });
    child.once("error", (e) => resolve({ error: `build.sh go-oidc-proxy did not run: ${e.message}` }));
    child.once("close", (code) => {
      const bin = out.trim().split("\n").pop() ?? "";
      if (code === 0 && bin !== "" && existsSync(bin)) {
        resolve({ bin });
        return;
      }
      // The compiler's or the script's own words, not build.sh's progress lines.
      const lines = err.trim().split("\n").filter((l) => l !== "" && !l.startsWith("[fixtures "));
      const last = lines.slice(-3).join(" / ");
      resolve({ error: `build.sh go-oidc-proxy exited ${code}${last === "" ? "" : `: ${last}`}` });
    });
  });
  return goOidcProxyBuild;
}
