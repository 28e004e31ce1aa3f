/**
 * Everyday kubectl through the real `kubeward proxy`: whoami, can-i, RBAC
 * allow and deny with kube-apiserver's own words, CRUD, a large (chunked)
 * list and a watch.
 */
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { useCluster } from "../../fixtures/cluster/use-cluster.ts";
import { stopKubectl, waitForOutput } from "../../fixtures/cluster/streams.ts";
import { startTestIssuer, type TestIssuer } from "../../tools/test-issuer.ts";
import { startProxy, type RunningProxy } from "../support/proxy.ts";
import { grantRules, kubectlOk, parseWhoAmI, revokeRules } from "../support/kubectl.ts";

const cluster = useCluster();
const NS = "kubectl-e2e";
const LARGE_NS = "kubectl-e2e-large";
const LARGE_COUNT = 500;

describe("kubectl through kubeward proxy", () => {
  let issuer: TestIssuer;
  let proxy: RunningProxy;
  /** kubeconfig of alice (granted every verb on configmaps and pods) and bob (no RBAC at all). */
  let alice: string;
  let bob: string;
  const user = (name: string) => `${issuer.url}#${name}`;

  before(async () => {
    issuer = await startTestIssuer();
    proxy = await startProxy(cluster, { issuerUrl: issuer.url, clientId: issuer.audience, issuerCaPem: issuer.caPem, args: ["--oidc-groups-claim=groups"] });
    alice = proxy.kubeconfigFor("alice", issuer.mint({ sub: "alice", groups: ["dev", "ops"], jti: "alice-token-1" }));
    bob = proxy.kubeconfigFor("bob", issuer.mint({ sub: "bob" }));
    await kubectlOk(cluster, cluster.adminKubeconfig, ["create", "namespace", NS]);
    await grantRules(cluster, "kubectl-e2e-alice", user("alice"), [{ apiGroups: [""], resources: ["configmaps", "pods"], verbs: ["*"] }]);
  });
  after(async () => {
    await revokeRules(cluster, "kubectl-e2e-alice");
    await proxy?.stop();
    await issuer?.stop();
  });

  test("kubectl auth whoami shows the username with the issuer# prefix, the groups and the jti as credential-id", async () => {
    const who = parseWhoAmI(await kubectlOk(cluster, alice, ["auth", "whoami", "-o", "json"]));
    assert.deepEqual(who, {
      username: user("alice"),
      groups: ["dev", "ops", "system:authenticated"],
      extra: { "authentication.kubernetes.io/credential-id": ["JTI=alice-token-1"] },
    }, "each group must reach kube-apiserver as its own Impersonate-Group value");
  });

  test("a user without RBAC gets kube-apiserver's own Forbidden message", async () => {
    const r = await cluster.kubectlAs(bob, ["get", "pods"]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim(), `Error from server (Forbidden): pods is forbidden: User "${user("bob")}" cannot list resource "pods" in API group "" in the namespace "default"`);
  });

  test("kubectl auth can-i answers yes for the granted user and no for the other", async () => {
    const yes = await cluster.kubectlAs(alice, ["auth", "can-i", "delete", "configmaps", "-n", NS]);
    assert.deepEqual([yes.code, yes.stdout.trim()], [0, "yes"]);
    const no = await cluster.kubectlAs(bob, ["auth", "can-i", "delete", "configmaps", "-n", NS]);
    assert.deepEqual([no.code, no.stdout.trim()], [1, "no"]);
    const cluster_wide = await cluster.kubectlAs(alice, ["auth", "can-i", "create", "clusterroles"]);
    assert.deepEqual([cluster_wide.code, cluster_wide.stdout.trim()], [1, "no"]);
  });

  test("create, get, apply, patch and delete a ConfigMap", async () => {
    const ns = ["-n", NS];
    assert.equal((await kubectlOk(cluster, alice, ["create", "configmap", "crud", "--from-literal=a=1", ...ns])).trim(), "configmap/crud created");
    assert.equal(await kubectlOk(cluster, alice, ["get", "configmap", "crud", "-o", "jsonpath={.data.a}", ...ns]), "1");
    const manifest = JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "applied", namespace: NS }, data: { b: "2" } });
    assert.equal((await kubectlOk(cluster, alice, ["apply", "-f", "-"], { input: manifest })).trim(), "configmap/applied created");
    const changed = JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "applied", namespace: NS }, data: { b: "3" } });
    assert.equal((await kubectlOk(cluster, alice, ["apply", "--server-side", "-f", "-"], { input: changed })).trim(), "configmap/applied serverside-applied");
    assert.equal((await kubectlOk(cluster, alice, ["patch", "configmap", "crud", "-p", '{"data":{"a":"9"}}', ...ns])).trim(), "configmap/crud patched");
    assert.equal(await kubectlOk(cluster, alice, ["get", "configmaps", "crud", "applied", "-o", "jsonpath={.items[*].data}", ...ns]), '{"a":"9"} {"b":"3"}');
    assert.equal((await kubectlOk(cluster, alice, ["delete", "configmap", "crud", "applied", ...ns])).trim(), `configmap "crud" deleted from ${NS} namespace\nconfigmap "applied" deleted from ${NS} namespace`);
    const gone = await cluster.kubectlAs(alice, ["get", "configmap", "crud", ...ns]);
    assert.equal(gone.code, 1);
    assert.equal(gone.stderr.trim(), 'Error from server (NotFound): configmaps "crud" not found');
  });

  test(`a list of ${LARGE_COUNT} ConfigMaps arrives whole, in one response and in chunks`, async () => {
    await kubectlOk(cluster, cluster.adminKubeconfig, ["create", "namespace", LARGE_NS]);
    const items = Array.from({ length: LARGE_COUNT }, (_, i) => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: `cm-${i}` }, data: { i: String(i), pad: "x".repeat(512) } }));
    await kubectlOk(cluster, cluster.adminKubeconfig, ["create", "-n", LARGE_NS, "-f", "-", "-o", "name"], { input: JSON.stringify({ apiVersion: "v1", kind: "List", items }), timeoutMs: 240_000 });
    const expected = items.map((c) => `configmap/${c.metadata.name}`).sort();
    for (const chunk of ["--chunk-size=0", "--chunk-size=37", "--chunk-size=500"]) {
      const names = (await kubectlOk(cluster, alice, ["get", "configmaps", "-n", LARGE_NS, chunk, "-o", "name"])).trim().split("\n");
      assert.deepEqual(names.sort(), expected, chunk);
    }
    const json = JSON.parse(await kubectlOk(cluster, alice, ["get", "configmaps", "-n", LARGE_NS, "--chunk-size=0", "-o", "json"])) as { items: Array<{ data: { pad: string } }> };
    assert.equal(json.items.length, LARGE_COUNT);
    assert.ok(json.items.every((c) => c.data.pad.length === 512));
  });

  test("kubectl get -w shows a ConfigMap created while the watch is open", async () => {
    await kubectlOk(cluster, cluster.adminKubeconfig, ["create", "configmap", "before-watch", "-n", NS]);
    const watch = cluster.spawnKubectlAs(alice, ["get", "configmaps", "-n", NS, "-w", "-o", "name"]);
    try {
      await waitForOutput(watch.stdout, /configmap\/before-watch\n/);
      const arrived = waitForOutput(watch.stdout, /configmap\/during-watch\n/);
      await kubectlOk(cluster, cluster.adminKubeconfig, ["create", "configmap", "during-watch", "-n", NS]);
      await arrived;
    } finally {
      await stopKubectl(watch);
    }
  });
});
