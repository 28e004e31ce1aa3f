/**
 * deploy/manifests applied for real with `kubectl apply -k` to the test
 * kube-apiserver: every object is created, and applying again changes nothing.
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { useCluster } from "../../fixtures/cluster/use-cluster.ts";
import { REPO } from "./tools.ts";

const cluster = useCluster();
const MANIFESTS = join(REPO, "deploy", "manifests");
const NAMESPACED = "deployment/kubeward-proxy service/kubeward-proxy poddisruptionbudget/kubeward-proxy networkpolicy/kubeward-proxy configmap/kubeward-proxy serviceaccount/kubeward-proxy".split(" ");

after(async () => {
  // The ClusterRole and binding stay: the harness applied the same file and other suites rely on it.
  // Without a controller-manager the namespace never finishes deleting; it is emptied and only marked.
  await cluster.kubectlAs(cluster.adminKubeconfig, ["delete", "-n", "kubeward", "--ignore-not-found", ...NAMESPACED]);
  await cluster.kubectlAs(cluster.adminKubeconfig, ["delete", "namespace", "kubeward", "--ignore-not-found", "--wait=false"]);
});

test("kubectl apply -k deploy/manifests creates the namespace, the proxy and its RBAC; a second apply changes nothing", async () => {
  const first = await cluster.kubectlAs(cluster.adminKubeconfig, ["apply", "-k", MANIFESTS]);
  assert.equal(first.code, 0, first.stderr);
  for (const line of ["namespace/kubeward created", "deployment.apps/kubeward-proxy created", "configmap/kubeward-proxy created",
    "networkpolicy.networking.k8s.io/kubeward-proxy created", "poddisruptionbudget.policy/kubeward-proxy created",
    "clusterrole.rbac.authorization.k8s.io/kubeward-proxy unchanged"]) {
    assert.ok(first.stdout.includes(line), `${line}\n${first.stdout}`);
  }
  const got = await cluster.kubectlAs(cluster.adminKubeconfig, ["get", "-n", "kubeward", "-o", "name", ...NAMESPACED]);
  assert.equal(got.code, 0, got.stderr);
  assert.equal(got.stdout.trim().split("\n").length, NAMESPACED.length);
  const image = await cluster.kubectlAs(cluster.adminKubeconfig, ["get", "-n", "kubeward", "deployment/kubeward-proxy", "-o", "jsonpath={.spec.template.spec.containers[0].image}"]);
  assert.equal(image.stdout, "ghcr.io/kubeward/kubeward:0.1.0");
  const again = await cluster.kubectlAs(cluster.adminKubeconfig, ["apply", "-k", MANIFESTS]);
  assert.equal(again.code, 0, again.stderr);
  // kubectl always sends a PodDisruptionBudget's selector (its patch strategy is
  // "replace"), so it says "configured"; the generation shows nothing changed.
  const changed = again.stdout.trim().split("\n").filter((l) => !l.endsWith(" unchanged"));
  assert.deepEqual(changed.filter((l) => !l.startsWith("poddisruptionbudget.policy/")), []);
  const generation = await cluster.kubectlAs(cluster.adminKubeconfig, ["get", "-n", "kubeward", "pdb/kubeward-proxy", "deployment/kubeward-proxy", "-o", "jsonpath={.items[*].metadata.generation}"]);
  assert.equal(generation.stdout, "1 1");
});
