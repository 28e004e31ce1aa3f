import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { loadUpstream } from "../../../src/config/kubeconfig.ts";
import { Problems } from "../../../src/config/errors.ts";
import { kubeconfigText, makeFixture, type Fixture, type KubeconfigSpec } from "./fixtures.ts";

let f: Fixture;
before(async () => { f = await makeFixture(); });
after(() => f.cleanup());

let n = 0;
async function load(spec: KubeconfigSpec | string, context?: string) {
  const file = await f.write(`k${n++}.kubeconfig`, typeof spec === "string" ? spec : kubeconfigText(spec));
  const problems = new Problems();
  const upstream = await loadUpstream({ kubeconfig: { value: file, path: "--kubeconfig" }, ...(context ? { context: { value: context, path: "--context" } } : {}), env: {} }, problems);
  return { file, upstream, problems: problems.list.map((p) => `${p.path}: ${p.message}`) };
}

describe("upstream from a kubeconfig", () => {
  test("inline data: server, CA, client certificate and key, tls-server-name, insecure-skip-tls-verify", async () => {
    const { upstream, problems } = await load({
      server: "https://10.0.0.1:6443", caData: f.caPem, cluster: { "tls-server-name": "kubernetes.default", "insecure-skip-tls-verify": true },
      user: { "client-certificate-data": Buffer.from(f.client.certPem).toString("base64"), "client-key-data": Buffer.from(f.client.keyPem).toString("base64") },
    });
    assert.deepEqual(problems, []);
    assert.deepEqual(upstream, {
      server: "https://10.0.0.1:6443", caPem: f.caPem, certPem: f.client.certPem, keyPem: f.client.keyPem,
      insecureSkipTlsVerify: true, tlsServerName: "kubernetes.default",
    });
  });

  test("files: CA, client certificate and key, relative to the kubeconfig", async () => {
    await f.write("client.crt", f.client.certPem);
    await f.write("client.key", f.client.keyPem);
    const { upstream, problems } = await load({ server: "https://api.example.com", caFile: "ca.crt", user: { "client-certificate": "client.crt", "client-key": join(f.dir, "client.key") } });
    assert.deepEqual(problems, []);
    assert.equal(upstream?.caPem, f.caPem);
    assert.equal(upstream?.certPem, f.client.certPem);
    assert.equal(upstream?.keyPem, f.client.keyPem);
    assert.deepEqual(upstream?.clientCertFiles, { certFile: join(f.dir, "client.crt"), keyFile: join(f.dir, "client.key") }, "kept as paths to re-read");
    assert.equal(upstream?.insecureSkipTlsVerify, false);
  });

  test("token inline, or token-file kept as a path to re-read", async () => {
    assert.equal((await load({ server: "https://a", user: { token: "t0k" } })).upstream?.token, "t0k");
    const tokenPath = await f.write("sa.token", "file-token");
    const { upstream } = await load({ server: "https://a", user: { "token-file": tokenPath } });
    assert.equal(upstream?.tokenFile, tokenPath);
    assert.equal(upstream?.token, undefined);
  });

  test("--context picks another context", async () => {
    const text = JSON.stringify({
      "current-context": "main",
      clusters: [{ name: "c1", cluster: { server: "https://one" } }, { name: "c2", cluster: { server: "https://two" } }],
      users: [{ name: "u", user: { token: "t" } }],
      contexts: [{ name: "main", context: { cluster: "c1", user: "u" } }, { name: "other", context: { cluster: "c2", user: "u" } }],
    });
    assert.equal((await load(text)).upstream?.server, "https://one");
    assert.equal((await load(text, "other")).upstream?.server, "https://two");
  });

  test("a missing context is named", async () => {
    const { problems, file } = await load({ server: "https://a", user: { token: "t" } }, "prod");
    assert.deepEqual(problems, [`--context: no context named "prod" in ${JSON.stringify(file)}`]);
  });

  test("no current-context", async () => {
    const { problems, file } = await load({ server: "https://a", user: { token: "t" }, currentContext: "" });
    assert.deepEqual(problems, [`--kubeconfig: ${JSON.stringify(file)} has no current-context; choose one with --context`]);
  });

  test("an exec user is refused, naming the user entry", async () => {
    const { problems, upstream, file } = await load({ server: "https://a", user: { exec: { apiVersion: "client.authentication.k8s.io/v1", command: "aws" } } });
    assert.equal(upstream, undefined);
    assert.deepEqual(problems, [`--kubeconfig: user "proxy" in ${JSON.stringify(file)} uses an exec credential plugin, which kubeward does not run; give it a client certificate, token or token-file`]);
  });

  test("an auth-provider user, basic auth and 'as' are refused", async () => {
    const { problems } = await load({ server: "https://a", user: { "auth-provider": { name: "oidc" }, username: "u", password: "p", as: "admin" } });
    assert.equal(problems.length, 3);
    assert.match(problems[0] ?? "", /uses an auth-provider, which kubeward does not run/);
    assert.match(problems[1] ?? "", /uses basic auth/);
    assert.match(problems[2] ?? "", /sets "as"/);
  });

  test("a user without credentials is refused", async () => {
    const { problems } = await load({ server: "https://a", user: {} });
    assert.deepEqual(problems, ['--kubeconfig: user "proxy" has no client certificate or token; the proxy needs credentials to impersonate']);
  });

  test("a client key that does not match its certificate", async () => {
    const other = await f.write("other-client.key", (await import("node:fs")).readFileSync(f.otherKeyFile, "utf8"));
    const { problems } = await load({ server: "https://a", user: { "client-certificate-data": Buffer.from(f.client.certPem).toString("base64"), "client-key": other } });
    assert.deepEqual(problems, ['--kubeconfig (user "proxy" client-key): does not match the certificate in --kubeconfig (user "proxy" client-certificate)']);
  });

  test("an unreadable kubeconfig", async () => {
    const problems = new Problems();
    await loadUpstream({ kubeconfig: { value: "/nonexistent/kc", path: "--kubeconfig" }, env: {} }, problems);
    assert.match(problems.list[0]?.message ?? "", /^cannot load "\/nonexistent\/kc": ENOENT/);
  });
});

describe("in-cluster upstream (no kubeconfig)", () => {
  test("server from KUBERNETES_SERVICE_HOST/PORT, CA and token file from the service-account directory", async () => {
    const dir = join(f.dir, "sa");
    await mkdir(dir);
    await f.write("sa/ca.crt", f.caPem);
    await f.write("sa/token", "sa-token");
    const problems = new Problems();
    const upstream = await loadUpstream({ env: { KUBERNETES_SERVICE_HOST: "fd00::1", KUBERNETES_SERVICE_PORT: "443" }, serviceAccountDir: dir }, problems);
    assert.deepEqual(problems.list, []);
    assert.deepEqual(upstream, { server: "https://[fd00::1]:443", caPem: f.caPem, tokenFile: join(dir, "token"), insecureSkipTlsVerify: false });
  });

  test("outside a pod, --kubeconfig is required", async () => {
    const problems = new Problems();
    assert.equal(await loadUpstream({ env: {}, serviceAccountDir: f.dir }, problems), undefined);
    assert.equal(problems.list[0]?.path, "--kubeconfig");
  });

  test("a pod without a mounted token", async () => {
    const problems = new Problems();
    await loadUpstream({ env: { KUBERNETES_SERVICE_HOST: "10.0.0.1", KUBERNETES_SERVICE_PORT: "443" }, serviceAccountDir: join(f.dir, "missing") }, problems);
    assert.ok(problems.list.some((p) => p.message.includes("is a service account token mounted?")), JSON.stringify(problems.list));
  });
});
