/**
 * Tokens kubeward must refuse: kubectl through the proxy prints exactly what
 * it prints when kube-apiserver itself refuses a credential.
 */
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { useCluster } from "../../fixtures/cluster/use-cluster.ts";
import { startTestIssuer, type TestIssuer } from "../../tools/test-issuer.ts";
import { startProxy, writeTokenKubeconfig, type RunningProxy } from "../support/proxy.ts";
import { mkdtempSync } from "node:fs";
import { join } from "node:path";

const cluster = useCluster();
/** What kubectl prints when a request is refused with 401 (kube-apiserver's Status message is "Unauthorized"). */
const UNAUTHORIZED = "error: You must be logged in to the server (Unauthorized)";
/** What kubectl prints when its API discovery, the first request of `kubectl get`, is refused with 401. */
const DISCOVERY_UNAUTHORIZED = "error: You must be logged in to the server (the server has asked for the client to provide credentials)";

const lastLine = (text: string) => text.trim().split("\n").at(-1);

describe("refused tokens through kubeward proxy", () => {
  let issuer: TestIssuer;
  let proxy: RunningProxy;
  before(async () => {
    issuer = await startTestIssuer();
    proxy = await startProxy(cluster, { issuerUrl: issuer.url, clientId: issuer.audience, issuerCaPem: issuer.caPem });
  });
  after(async () => {
    await proxy?.stop();
    await issuer?.stop();
  });

  const now = () => Math.floor(Date.now() / 1000);
  const cases: Array<[string, () => string]> = [
    ["an expired token", () => issuer.mint({ iat: now() - 600, exp: now() - 60 })],
    ["a token for another audience", () => issuer.mint({ aud: "someone-else" })],
    ["a token signed by a key the issuer never published", () => issuer.mint({}, { key: "unpublished" })],
    ["a garbage token", () => "not-a-jwt"],
  ];
  for (const [name, mint] of cases) {
    test(`${name}: kubectl says you must be logged in, as kube-apiserver refusing the same token makes it say`, async () => {
      const token = mint();
      const file = (to: string) => join(proxy.dir, `${name.replaceAll(" ", "-")}-${to}.kubeconfig`);
      const viaProxy = writeTokenKubeconfig(file("proxy"), { server: proxy.url, caPem: proxy.caPem, user: "u", token });
      const direct = writeTokenKubeconfig(file("direct"), { server: cluster.server, caPem: cluster.caPem, user: "u", token });
      for (const [args, expected] of [[["auth", "whoami"], UNAUTHORIZED], [["get", "configmaps"], DISCOVERY_UNAUTHORIZED]] as const) {
        // Each run gets its own discovery cache: a cached discovery would skip the request kubectl reports on.
        const env = () => ({ env: { KUBECACHEDIR: mkdtempSync(join(proxy.dir, "cache-")) } });
        const [r, d] = await Promise.all([cluster.kubectlAs(viaProxy, args, env()), cluster.kubectlAs(direct, args, env())]);
        assert.deepEqual([r.code, r.stdout, lastLine(r.stderr)], [1, "", expected], `${args.join(" ")}: ${r.stderr}`);
        assert.deepEqual([d.code, lastLine(d.stderr)], [1, expected], `directly: ${d.stderr}`);
      }
    });
  }

  // Without any credential kubectl prompts for a password on stdin, so the
  // kubeconfig names a user without a password: no bearer token is sent.
  test("a request without a bearer token: kubectl says you must be logged in", async () => {
    const kubeconfig = writeTokenKubeconfig(join(proxy.dir, "no-token.kubeconfig"), { server: proxy.url, caPem: proxy.caPem, user: "u", username: "nobody" });
    for (const [args, expected] of [[["auth", "whoami"], UNAUTHORIZED], [["get", "configmaps"], DISCOVERY_UNAUTHORIZED]] as const) {
      const r = await cluster.kubectlAs(kubeconfig, args);
      assert.deepEqual([r.code, r.stdout, lastLine(r.stderr)], [1, "", expected], `${args.join(" ")}: ${r.stderr}`);
    }
  });

  test("a valid token from the same issuer is accepted (the refusals above are about the token)", async () => {
    const r = await cluster.kubectlAs(proxy.kubeconfigFor("valid", issuer.mint({ sub: "carol" })), ["auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"]);
    assert.deepEqual([r.code, r.stdout], [0, `${issuer.url}#carol`], r.stderr);
  });
});
