/**
 * Revocation against the real kube-apiserver: the real `kubeward proxy` with
 * a revocation section and admin API; `kubeward revoke user` ends that user's
 * open `kubectl get -w` and `kubectl port-forward` within 5 s while another
 * user's keep running, ends their `kubectl exec -i` (WebSocket and SPDY),
 * refuses their next kubectl call, and a token issued after the revocation works.
 */
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ChildProcess } from "node:child_process";
import { run } from "../../../src/cli/run.ts";
import { createCertificateAuthority, issueCertificate } from "../../../src/pki/certificates.ts";
import { useCluster } from "../../fixtures/cluster/use-cluster.ts";
import { portForward, roundTrip, stopKubectl, waitForOutput } from "../../fixtures/cluster/streams.ts";
import { freePort } from "../../fixtures/cluster/wait.ts";
import { startTestIssuer, type TestIssuer } from "../../tools/test-issuer.ts";
import { startProxy, type RunningProxy } from "../support/proxy.ts";
import { grantRules, kubectlOk, revokeRules } from "../support/kubectl.ts";

const cluster = useCluster();
const NS = "revocation-e2e";
const POD = "revocation-e2e";

/** Resolves true when `child` exits within `ms`. */
function exitsWithin(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once("exit", () => { clearTimeout(timer); resolve(true); });
  });
}

describe("revocation through the real kubeward proxy", () => {
  let issuer: TestIssuer;
  let proxy: RunningProxy;
  let adminFlags: string[];
  const user = (name: string) => `${issuer.url}#${name}`;
  const kubeconfig = (name: string, iatOffsetS = -60) => proxy.kubeconfigFor(`${name}-${randomBytes(3).toString("hex")}`, issuer.mint({ sub: name, iat: Math.floor(Date.now() / 1000) + iatOffsetS }));
  const revoke = async (name: string) => {
    let err = "";
    const code = await run(["revoke", "user", user(name), "--reason", "e2e", ...adminFlags], { stdout: () => {}, stderr: (t) => { err += t; }, env: {}, shutdownSignal: () => new Promise(() => {}) });
    assert.equal(code, 0, err);
  };

  before(async () => {
    issuer = await startTestIssuer();
    const ca = await createCertificateAuthority("revocation-e2e-admin");
    const serving = await issueCertificate(ca, { commonName: "admin", hosts: ["127.0.0.1"], usage: "server" });
    const oncall = await issueCertificate(ca, { commonName: "oncall", usage: "client" });
    const adminPort = await freePort();
    proxy = await startProxy(cluster, {
      issuerUrl: issuer.url, clientId: issuer.audience, issuerCaPem: issuer.caPem,
      args: [`--config=${writeRevocationConfig(ca.certPem, serving, oncall, adminPort)}`],
    });
    adminFlags = ["--server", `https://127.0.0.1:${adminPort}`, "--certificate-authority", join(configDir, "ca.crt"), "--client-certificate", join(configDir, "oncall.crt"), "--client-key", join(configDir, "oncall.key")];
    await kubectlOk(cluster, cluster.adminKubeconfig, ["create", "namespace", NS]);
    for (const name of ["watcher", "bystander", "forwarder"]) {
      await grantRules(cluster, `revocation-e2e-${name}`, user(name), [
        { apiGroups: [""], resources: ["configmaps", "pods"], verbs: ["get", "list", "watch"] },
        { apiGroups: [""], resources: ["pods/portforward"], verbs: ["get", "create"] },
      ]);
    }
    await cluster.createPod(POD);
  });
  after(async () => {
    for (const name of ["watcher", "bystander", "forwarder"]) await revokeRules(cluster, `revocation-e2e-${name}`);
    await proxy?.stop();
    await issuer?.stop();
    rmSync(configDir, { recursive: true, force: true });
  });

  test("kubectl get -w of the revoked user ends within 5 s; another user's keeps running; the next call is Unauthorized", async () => {
    const watcher = kubeconfig("watcher");
    const bystander = kubeconfig("bystander");
    await kubectlOk(cluster, cluster.adminKubeconfig, ["create", "configmap", "seen", "-n", NS]);
    const revokedWatch = cluster.spawnKubectlAs(watcher, ["get", "configmaps", "-n", NS, "-w", "-o", "name"]);
    const otherWatch = cluster.spawnKubectlAs(bystander, ["get", "configmaps", "-n", NS, "-w", "-o", "name"]);
    try {
      await waitForOutput(revokedWatch.stdout, /configmap\/seen\n/);
      await waitForOutput(otherWatch.stdout, /configmap\/seen\n/);
      await revoke("watcher");
      assert.ok(await exitsWithin(revokedWatch, 5_000), "the revoked user's watch ended");
      assert.equal(otherWatch.exitCode, null, "the other user's watch is still running");
      const arrived = waitForOutput(otherWatch.stdout, /configmap\/after-revocation\n/);
      await kubectlOk(cluster, cluster.adminKubeconfig, ["create", "configmap", "after-revocation", "-n", NS]);
      await arrived;
      const refused = await cluster.kubectlAs(watcher, ["get", "configmaps", "-n", NS]);
      assert.notEqual(refused.code, 0);
      assert.match(refused.stderr, /Unauthorized/);
      const fresh = await cluster.kubectlAs(kubeconfig("watcher", 2), ["get", "configmaps", "-n", NS, "-o", "name"]);
      assert.equal(fresh.code, 0, `a token issued after the revocation works: ${fresh.stderr}`);
    } finally {
      await stopKubectl(revokedWatch);
      await stopKubectl(otherWatch);
    }
  });

  test("kubectl port-forward of the revoked user ends within 5 s; another user's keeps carrying bytes", async () => {
    const revoked = await portForward(cluster, kubeconfig("forwarder"), POD, 8080);
    const other = await portForward(cluster, kubeconfig("bystander"), POD, 8080);
    try {
      const payload = randomBytes(4096);
      assert.ok((await roundTrip(revoked.localPort, payload)).equals(payload));
      await revoke("forwarder");
      assert.ok(await exitsWithin(revoked.child, 5_000), "the revoked user's kubectl port-forward ended");
      assert.ok((await roundTrip(other.localPort, payload)).equals(payload), "the other user's port-forward still echoes");
    } finally {
      await revoked.stop();
      await other.stop();
    }
  });

  for (const transport of [{ name: "WebSocket", env: {} }, { name: "SPDY", env: { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: "false" } }] as const) {
    test(`kubectl exec -i over ${transport.name} of the revoked user ends within 5 s; another user's keeps running`, async () => {
      const name = `execer-${transport.name.toLowerCase()}`;
      const rules = [{ apiGroups: [""], resources: ["pods"], verbs: ["get"] }, { apiGroups: [""], resources: ["pods/exec"], verbs: ["get", "create"] }];
      await grantRules(cluster, `revocation-e2e-${name}`, user(name), rules);
      await grantRules(cluster, `revocation-e2e-${name}-other`, user(`${name}-other`), rules);
      const revoked = cluster.spawnKubectlAs(kubeconfig(name), ["exec", "-i", POD, "--", "cat"], { env: transport.env });
      const other = cluster.spawnKubectlAs(kubeconfig(`${name}-other`), ["exec", "-i", POD, "--", "cat"], { env: transport.env });
      try {
        for (const child of [revoked, other]) {
          const echoed = waitForOutput(child.stdout, /hello\n/);
          child.stdin.write("hello\n");
          await echoed;
        }
        await revoke(name);
        assert.ok(await exitsWithin(revoked, 5_000), "the revoked user's kubectl exec ended");
        const echoed = waitForOutput(other.stdout, /still here\n/);
        other.stdin.write("still here\n");
        await echoed;
        assert.equal(other.exitCode, null, "the other user's exec is still running");
      } finally {
        await stopKubectl(revoked);
        await stopKubectl(other);
        await revokeRules(cluster, `revocation-e2e-${name}`);
        await revokeRules(cluster, `revocation-e2e-${name}-other`);
      }
    });
  }
});

let configDir = "";

/** The proxy's --config: only the revocation section (the OIDC settings come as flags). */
function writeRevocationConfig(caPem: string, serving: { certPem: string; keyPem: string }, oncall: { certPem: string; keyPem: string }, adminPort: number): string {
  configDir = mkdtempSync(join(tmpdir(), "kubeward-e2e-revocation-"));
  const files: Record<string, string> = { "ca.crt": caPem, "admin.crt": serving.certPem, "admin.key": serving.keyPem, "oncall.crt": oncall.certPem, "oncall.key": oncall.keyPem };
  for (const [name, text] of Object.entries(files)) writeFileSync(join(configDir, name), text, { mode: 0o600 });
  const config = {
    revocation: {
      sqliteFile: "revocations.db", pollInterval: "1s",
      admin: { bindAddress: "127.0.0.1", securePort: adminPort, tlsCertFile: "admin.crt", tlsPrivateKeyFile: "admin.key", clientCAFile: "ca.crt" },
    },
  };
  writeFileSync(join(configDir, "revocation.yaml"), JSON.stringify(config));
  return join(configDir, "revocation.yaml");
}
