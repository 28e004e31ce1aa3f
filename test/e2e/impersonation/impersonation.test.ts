/**
 * kubectl --as / --as-group through the real `kubeward proxy`: allowed only
 * where RBAC lets the token's user impersonate, refused with the 403
 * kube-apiserver itself gives, and the original user visible upstream.
 * Each user has a "twin": a client certificate with the same name and groups,
 * sent straight to kube-apiserver, whose answers are the reference.
 */
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { useCluster } from "../../fixtures/cluster/use-cluster.ts";
import { writeKubeconfig } from "../../fixtures/cluster/kubeconfig.ts";
import { loadCertificateAuthority } from "../../fixtures/cluster/pki.ts";
import { issueCertificate } from "../../../src/pki/certificates.ts";
import { startTestIssuer, type TestIssuer } from "../../tools/test-issuer.ts";
import { startProxy, type RunningProxy } from "../support/proxy.ts";
import { grantRules, parseWhoAmI, revokeRules } from "../support/kubectl.ts";

const cluster = useCluster();
const ORIGINAL_USER = "kubeward.dev/original-user";
const ORIGINAL_GROUPS = "kubeward.dev/original-groups";

describe("client impersonation through kubeward proxy", () => {
  let issuer: TestIssuer;
  let proxy: RunningProxy;
  const name = (sub: string) => `${issuer.url}#${sub}`;
  /** kubeconfigs through the proxy (token) and straight to kube-apiserver (certificate twin). */
  const via: Record<"alice" | "carol", { proxy: string; twin: string }> = { alice: { proxy: "", twin: "" }, carol: { proxy: "", twin: "" } };

  async function twin(sub: string, groups: string[]): Promise<string> {
    const leaf = await issueCertificate(await loadCertificateAuthority(cluster.pki.ca), { commonName: name(sub), organizations: groups, usage: "client" });
    const files = { certFile: join(proxy.dir, `${sub}.crt`), keyFile: join(proxy.dir, `${sub}.key`) };
    writeFileSync(files.certFile, leaf.certPem);
    writeFileSync(files.keyFile, leaf.keyPem);
    const path = join(proxy.dir, `${sub}-twin.kubeconfig`);
    writeKubeconfig(path, { server: cluster.server, caFile: cluster.pki.ca.cert, ...files, user: sub });
    return path;
  }

  before(async () => {
    issuer = await startTestIssuer();
    proxy = await startProxy(cluster, { issuerUrl: issuer.url, clientId: issuer.audience, issuerCaPem: issuer.caPem, args: ["--oidc-groups-claim=groups"] });
    via.alice = { proxy: proxy.kubeconfigFor("alice", issuer.mint({ sub: "alice", groups: ["team-a"] })), twin: await twin("alice", ["team-a"]) };
    via.carol = { proxy: proxy.kubeconfigFor("carol", issuer.mint({ sub: "carol" })), twin: await twin("carol", []) };
    await grantRules(cluster, "impersonation-e2e-alice", name("alice"), [
      { apiGroups: [""], resources: ["users"], verbs: ["impersonate"], resourceNames: ["bob"] },
      { apiGroups: [""], resources: ["groups"], verbs: ["impersonate"], resourceNames: ["devs"] },
    ]);
    await grantRules(cluster, "impersonation-e2e-bob", "bob", [{ apiGroups: [""], resources: ["configmaps"], verbs: ["list"] }]);
  });
  after(async () => {
    await revokeRules(cluster, "impersonation-e2e-alice");
    await revokeRules(cluster, "impersonation-e2e-bob");
    await proxy?.stop();
    await issuer?.stop();
  });

  for (const args of [["--as=bob"], ["--as=bob", "--as-group=devs"]]) {
    test(`kubectl ${args.join(" ")} auth whoami: the impersonated identity, with the original user as extras`, async () => {
      const [viaProxy, direct] = await Promise.all([
        cluster.kubectlAs(via.alice.proxy, [...args, "auth", "whoami", "-o", "json"]),
        cluster.kubectlAs(via.alice.twin, [...args, "auth", "whoami", "-o", "json"]),
      ]);
      assert.equal(viaProxy.code, 0, viaProxy.stderr);
      assert.equal(direct.code, 0, direct.stderr);
      const reference = parseWhoAmI(direct.stdout);
      assert.deepEqual(parseWhoAmI(viaProxy.stdout), {
        ...reference,
        extra: { ...reference.extra, [ORIGINAL_USER]: [name("alice")], [ORIGINAL_GROUPS]: ["team-a"] },
      });
      assert.equal(reference.username, "bob");
    });
  }

  test("requests run with the impersonated user's permissions", async () => {
    const asBob = await cluster.kubectlAs(via.alice.proxy, ["--as=bob", "get", "configmaps", "-o", "name"]);
    assert.equal(asBob.code, 0, asBob.stderr);
    const asAlice = await cluster.kubectlAs(via.alice.proxy, ["get", "configmaps", "-o", "name"]);
    assert.equal(asAlice.code, 1);
    assert.equal(asAlice.stderr.trim(), `Error from server (Forbidden): configmaps is forbidden: User "${name("alice")}" cannot list resource "configmaps" in API group "" in the namespace "default"`);
  });

  const refusals: Array<[string, "alice" | "carol", string[]]> = [
    ["a user RBAC does not let the caller impersonate", "alice", ["--as=eve"]],
    ["a group RBAC does not let the caller impersonate", "alice", ["--as=bob", "--as-group=admins"]],
    ["a caller without any impersonation grant", "carol", ["--as=bob"]],
    ["a service account, without a grant", "alice", ["--as=system:serviceaccount:default:builder"]],
  ];
  for (const [what, who, args] of refusals) {
    test(`${what} (${args.join(" ")}): the 403 kube-apiserver itself gives`, async () => {
      const command = [...args, "get", "configmaps"];
      const [viaProxy, direct] = await Promise.all([cluster.kubectlAs(via[who].proxy, command), cluster.kubectlAs(via[who].twin, command)]);
      assert.equal(direct.code, 1, direct.stderr);
      assert.match(direct.stderr, /^Error from server \(Forbidden\): .* is forbidden: User ".*" cannot impersonate resource/);
      assert.deepEqual([viaProxy.code, viaProxy.stdout, viaProxy.stderr], [direct.code, direct.stdout, direct.stderr]);
    });
  }
});
