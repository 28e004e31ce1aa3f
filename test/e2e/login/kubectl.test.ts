/**
 * Real kubectl with a kubeconfig written by `kubeward kubeconfig`: kubectl runs
 * `kubeward login` as its credential plugin and sends the ID token it prints.
 */
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { parse } from "yaml";
import type { Browser } from "playwright-core";
import { binaries, requireBinaries } from "../../fixtures/cluster/binaries.ts";
import { runKubectl, type KubectlContext } from "../../fixtures/cluster/kubectl.ts";
import { createCertificateAuthority, issueCertificate } from "../../../src/pki/certificates.ts";
import { TokenCache } from "../../../src/login/token-cache.ts";
import { claimsOf, launchChromium, logInWithChromium, startLoginWorld, type LoginWorld } from "./harness.ts";

/** An HTTPS server standing in for the proxy: records each request's Authorization header, answers `{}`. */
async function startRecordingServer(): Promise<{ server: Server; url: string; caPem: string; authorizations: string[] }> {
  const ca = await createCertificateAuthority("kubectl-e2e-ca");
  const leaf = await issueCertificate(ca, { commonName: "127.0.0.1", hosts: ["127.0.0.1"], usage: "server" });
  const authorizations: string[] = [];
  const server = createServer({ cert: leaf.certPem, key: leaf.keyPem }, (req, res) => {
    authorizations.push(req.headers.authorization ?? "");
    res.writeHead(200, { "content-type": "application/json" }).end('{"kind":"Status","apiVersion":"v1","status":"Success"}');
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { server, url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, caPem: ca.certPem, authorizations };
}

describe("kubectl with a kubeconfig from kubeward kubeconfig", () => {
  let world: LoginWorld;
  let browser: Browser;
  let upstream: Awaited<ReturnType<typeof startRecordingServer>>;
  let kubectl: KubectlContext;
  let kubeconfig: string;
  before(async () => {
    const bin = binaries().kubectl;
    requireBinaries([[bin, "kube"]]);
    [world, browser, upstream] = await Promise.all([startLoginWorld(), launchChromium(), startRecordingServer()]);
    kubectl = { kubectl: bin, cacheDir: join(world.dir, "kubectl-cache") };
    kubeconfig = join(world.dir, "kube", "config");
    await mkdir(join(world.dir, "kube"));
    await writeFile(kubeconfig, "apiVersion: v1\nkind: Config\nclusters:\n- name: other\n  cluster:\n    server: https://other.example\n");
    await writeFile(join(world.dir, "proxy-ca.crt"), upstream.caPem);
  });
  after(async () => {
    upstream.server.closeAllConnections();
    upstream.server.close();
    await browser.close();
    await world.close();
  });

  test("kubectl's request carries Authorization: Bearer <the ID token kubeward login got>", async () => {
    const login = world.login.slice(1).filter((f) => f.startsWith("--oidc-client-id") || f.startsWith("--oidc-issuer-url") || f.startsWith("--token-cache-dir") || f.startsWith("--browser-command") || f.startsWith("--listen-address"));
    const made = await world.run([
      "kubeconfig", `--kubeconfig=${kubeconfig}`, `--server=${upstream.url}`, `--certificate-authority=${join(world.dir, "proxy-ca.crt")}`,
      "--context-name=kubeward-e2e", "--set-current", `--oidc-ca-file=${world.caFile}`, ...login,
    ]);
    assert.equal(made.code, 0, made.stderr);
    const doc = parse(await readFile(kubeconfig, "utf8"));
    assert.deepEqual(doc.clusters.map((c: { name: string }) => c.name), ["other", "kubeward-e2e"]);

    const running = runKubectl(kubectl, kubeconfig, ["get", "--raw", "/api/v1/namespaces/default/pods"], { timeoutMs: 60_000 });
    await logInWithChromium(browser, await world.waitForBrowserUrl(1));
    const r = await running;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /"status":"Success"/);
    const idToken = (await new TokenCache(world.cacheDir).read({ issuer: world.provider.issuer, clientId: "kubectl", scopes: ["openid"] }))?.token ?? "";
    assert.equal(claimsOf(idToken)["aud"], "kubectl");
    assert.ok(upstream.authorizations.length >= 1);
    assert.ok(upstream.authorizations.every((a) => a === `Bearer ${idToken}`), upstream.authorizations.join("\n"));

    const again = await runKubectl(kubectl, kubeconfig, ["get", "--raw", "/api/v1/namespaces"], { timeoutMs: 30_000 });
    assert.equal(again.code, 0, again.stderr);
    assert.equal(upstream.authorizations.at(-1), `Bearer ${idToken}`);
    assert.equal((await world.browserUrls()).length, 1, "the second kubectl used the cached token");
  });
});
