/**
 * The chart's RBAC is enough for the real proxy: the chart's ServiceAccount,
 * ClusterRole and binding are applied for real, and `kubeward proxy` runs with
 * the chart's config file and a token of that ServiceAccount. Through it, a
 * user's token (with a jti) and a client's `--as` reach kube-apiserver with
 * every extra the proxy forwards.
 */
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { useCluster } from "../../fixtures/cluster/use-cluster.ts";
import { startTestIssuer, type TestIssuer } from "../../tools/test-issuer.ts";
import { createCertificateAuthority, issueCertificate } from "../../../src/pki/certificates.ts";
import { REPO, only, renderChart } from "./tools.ts";
import { freePort } from "../../tools/free-port.ts";

const cluster = useCluster();
const admin = cluster.adminKubeconfig;
const NS = `kubeward-chart-proxy-${process.pid}`;
const RELEASE_PREFIX = `kubeward-${process.pid}`;
type UserInfo = { username: string; groups?: string[]; extra?: Record<string, string[]> };


/** A kubeconfig for `server` with `token`, trusting `caPem`. */
async function kubeconfig(dir: string, name: string, server: string, caPem: string, token: string): Promise<string> {
  const path = join(dir, `${name}.kubeconfig`);
  await writeFile(path, JSON.stringify({
    apiVersion: "v1", kind: "Config", "current-context": "c",
    clusters: [{ name: "c", cluster: { server, "certificate-authority-data": Buffer.from(caPem).toString("base64") } }],
    users: [{ name: "u", user: { token } }],
    contexts: [{ name: "c", context: { cluster: "c", user: "u" } }],
  }));
  return path;
}

async function kubectlOk(kubeconfigPath: string, args: string[], input?: string): Promise<string> {
  const r = await cluster.kubectlAs(kubeconfigPath, args, input === undefined ? {} : { input });
  assert.equal(r.code, 0, `kubectl ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

describe("kubeward proxy with the chart's config and exactly the chart's RBAC", () => {
  let dir = "";
  let issuer: TestIssuer;
  let proxy: ChildProcess;
  let proxyUrl = "";
  let proxyCaPem = "";

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "kubeward-chart-proxy-"));
    issuer = await startTestIssuer({ audience: "kubernetes" });
    await kubectlOk(admin, ["create", "namespace", NS]);
    const { objects } = await renderChart(NS, "--set", `fullnameOverride=${RELEASE_PREFIX}`, "--set", `proxy.oidc.issuerURL=${issuer.url}`);
    const rbac = objects.filter((o) => ["ServiceAccount", "ClusterRole", "ClusterRoleBinding"].includes(o.kind));
    await kubectlOk(admin, ["apply", "-f", "-"], rbac.map((o) => JSON.stringify(o)).join("\n"));
    const sa = only(objects, "ServiceAccount").metadata.name;
    const token = (await kubectlOk(admin, ["create", "token", sa, "-n", NS, "--duration=10m"])).trim();
    const config = (only(objects, "ConfigMap")["data"] as Record<string, string>)["config.yaml"] ?? "";
    proxy = await startProxy(config, await kubeconfig(dir, "proxy", cluster.server, cluster.caPem, token));
  });

  after(async () => {
    if (proxy && proxy.exitCode === null) {
      const exited = once(proxy, "exit");
      proxy.kill("SIGTERM");
      await exited;
    }
    await issuer?.stop();
    await cluster.kubectlAs(admin, ["delete", "clusterrolebinding,clusterrole", `${RELEASE_PREFIX}-proxy`, "alice-impersonates-bob", "--ignore-not-found"]);
    await cluster.kubectlAs(admin, ["delete", "namespace", NS, "--wait=false"]);
    await rm(dir, { recursive: true, force: true });
  });

  /** Starts the proxy on loopback with the chart's config file; flags move its files and ports into the test's sandbox. */
  async function startProxy(config: string, upstream: string): Promise<ChildProcess> {
    const ca = await createCertificateAuthority("chart-proxy-e2e-ca");
    const leaf = await issueCertificate(ca, { commonName: "127.0.0.1", hosts: ["127.0.0.1"], usage: "server" });
    const files = { config: join(dir, "config.yaml"), cert: join(dir, "tls.crt"), key: join(dir, "tls.key"), issuerCa: join(dir, "issuer-ca.crt") };
    await Promise.all([writeFile(files.config, config), writeFile(files.cert, leaf.certPem), writeFile(files.key, leaf.keyPem), writeFile(files.issuerCa, issuer.caPem)]);
    proxyCaPem = ca.certPem;
    const [port, ready, metrics] = [await freePort(), await freePort(), await freePort()];
    const child = spawn(process.execPath, [
      join(REPO, "src", "cli", "main.ts"), "proxy", `--config=${files.config}`, `--kubeconfig=${upstream}`, `--oidc-ca-file=${files.issuerCa}`,
      "--bind-address=127.0.0.1", `--secure-port=${port}`, `--readiness-probe-port=${ready}`, `--metrics-serving-address=127.0.0.1:${metrics}`,
      `--tls-cert-file=${files.cert}`, `--tls-private-key-file=${files.key}`, "--log-level=warn",
    ], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr?.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    for (let i = 0; i < 200; i++) {
      if (await fetch(`http://127.0.0.1:${ready}/ready`).then((r) => r.status === 200, () => false)) {
        proxyUrl = `https://127.0.0.1:${port}`;
        return child;
      }
      if (child.exitCode !== null) break;
      await sleep(100);
    }
    child.kill("SIGKILL");
    throw new Error(`kubeward proxy did not become ready: ${stderr}`);
  }

  async function whoami(token: string, ...args: string[]): Promise<UserInfo> {
    const path = await kubeconfig(dir, `user-${Math.random().toString(36).slice(2)}`, proxyUrl, proxyCaPem, token);
    const out = await kubectlOk(path, ["auth", "whoami", "-o", "json", ...args]);
    return (JSON.parse(out) as { status: { userInfo: UserInfo } }).status.userInfo;
  }

  test("a token with a jti: the user arrives with its credential id and address", async () => {
    const user = await whoami(issuer.mint({ sub: "alice", jti: "token-1" }));
    assert.equal(user.username, `${issuer.url}#alice`);
    assert.deepEqual(user.extra?.["authentication.kubernetes.io/credential-id"], ["JTI=token-1"]);
    assert.deepEqual(user.extra?.["remote-client-ip"], ["127.0.0.1"]);
  });

  test("kubectl --as: the impersonated user arrives with the original-user record", async () => {
    await kubectlOk(admin, ["create", "clusterrole", "alice-impersonates-bob", "--verb=impersonate", "--resource=users", "--resource-name=bob"]);
    await kubectlOk(admin, ["create", "clusterrolebinding", "alice-impersonates-bob", "--clusterrole=alice-impersonates-bob", `--user=${issuer.url}#alice`]);
    const user = await whoami(issuer.mint({ sub: "alice" }), "--as=bob");
    assert.equal(user.username, "bob");
    assert.deepEqual(user.extra?.["kubeward.dev/original-user"], [`${issuer.url}#alice`]);
    assert.deepEqual(user.extra?.["remote-client-ip"], ["127.0.0.1"]);
  });
});
