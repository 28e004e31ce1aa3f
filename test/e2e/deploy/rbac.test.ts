/**
 * The generated RBAC on a real kube-apiserver: a ServiceAccount bound to
 * exactly `kubeward rbac`'s ClusterRole impersonates a user with a forwarded
 * extra, and gets kube-apiserver's 403 for an extra key without its grant.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { useCluster } from "../../fixtures/cluster/use-cluster.ts";
import { DEFAULT_RBAC_OPTIONS, renderProxyRbac, type ProxyRbacOptions } from "../../../src/deploy/rbac.ts";

const cluster = useCluster();
const admin = cluster.adminKubeconfig;
const NS = `kubeward-rbac-${process.pid}`;
const NAME = `kubeward-proxy-e2e-${process.pid}`;
const OPTIONS: ProxyRbacOptions = {
  ...DEFAULT_RBAC_OPTIONS, name: NAME, extraUserHeaderKeys: ["foo.example/bar"], serviceAccount: { namespace: NS, name: "proxy" },
};
let token = "";
let n = 0;

before(async () => {
  for (const args of [["create", "namespace", NS], ["create", "serviceaccount", "proxy", "-n", NS]]) {
    const r = await cluster.kubectlAs(admin, args);
    assert.equal(r.code, 0, r.stderr);
  }
  const applied = await cluster.kubectlAs(admin, ["apply", "-f", "-"], { input: renderProxyRbac(OPTIONS) });
  assert.equal(applied.code, 0, applied.stderr);
  const created = await cluster.kubectlAs(admin, ["create", "token", "proxy", "-n", NS, "--duration=10m"]);
  assert.equal(created.code, 0, created.stderr);
  token = created.stdout.trim();
});

after(async () => {
  await cluster.kubectlAs(admin, ["delete", "clusterrolebinding,clusterrole", NAME, "--ignore-not-found"]);
  await cluster.kubectlAs(admin, ["delete", "namespace", NS, "--wait=false"]);
});

/** A kubeconfig with the ServiceAccount's token that impersonates (kubectl has no flag for extras). */
function proxyKubeconfig(impersonate: Record<string, unknown>): string {
  const config = {
    apiVersion: "v1", kind: "Config", "current-context": "sa",
    clusters: [{ name: "c", cluster: { server: cluster.server, "certificate-authority-data": Buffer.from(cluster.caPem).toString("base64") } }],
    users: [{ name: "sa", user: { token, ...impersonate } }],
    contexts: [{ name: "sa", context: { cluster: "c", user: "sa" } }],
  };
  const path = join(cluster.dir, `rbac-e2e-${process.pid}-${n++}.kubeconfig`);
  writeFileSync(path, JSON.stringify(config));
  return path;
}

test("impersonates a user with a configured extra and the credential id", async () => {
  const kubeconfig = proxyKubeconfig({ as: "alice", "as-groups": ["devs"], "as-user-extra": {
    "foo.example/bar": ["x"], "authentication.kubernetes.io/credential-id": ["JTI=abc"], "kubeward.dev/original-user": ["bob"],
  } });
  const r = await cluster.kubectlAs(kubeconfig, ["auth", "whoami", "-o", "json"]);
  assert.equal(r.code, 0, r.stderr);
  const user = (JSON.parse(r.stdout) as { status: { userInfo: { username: string; extra: Record<string, string[]> } } }).status.userInfo;
  assert.equal(user.username, "alice");
  assert.deepEqual(user.extra["foo.example/bar"], ["x"]);
  assert.deepEqual(user.extra["authentication.kubernetes.io/credential-id"], ["JTI=abc"]);
});

test("gets kube-apiserver's 403 for an extra key it has no grant for", async () => {
  const kubeconfig = proxyKubeconfig({ as: "alice", "as-user-extra": { "other.example/baz": ["x"] } });
  const r = await cluster.kubectlAs(kubeconfig, ["get", "--raw", "/api"]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, new RegExp(`User "system:serviceaccount:${NS}:proxy" cannot impersonate resource "userextras/other.example/baz" in API group "authentication.k8s.io"`));
});

test("remote-client-ip needs --extra-user-header-client-ip: without it there is no grant", async () => {
  const kubeconfig = proxyKubeconfig({ as: "alice", "as-user-extra": { "remote-client-ip": ["192.0.2.7"] } });
  const r = await cluster.kubectlAs(kubeconfig, ["get", "--raw", "/api"]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /cannot impersonate resource "userextras\/remote-client-ip"/);
});

test("reads nothing itself", async () => {
  const r = await cluster.kubectlAs(proxyKubeconfig({}), ["get", "secrets", "-n", NS]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, new RegExp(`User "system:serviceaccount:${NS}:proxy" cannot list resource "secrets"`));
});
