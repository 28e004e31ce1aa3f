import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { Problems } from "../../../src/config/errors.ts";
import { loadServeConfig } from "../../../src/serve/load.ts";
import { ensureCa, ensureServingCert, type CertFiles } from "../../../src/serve/pki.ts";
import { resolveProxyPart, type ProxyPart } from "../../../src/serve/proxy-part.ts";

let dir: string;
let cert: CertFiles;
let caFile: string;
let kubeconfig: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "serve-proxy-"));
  const made = await ensureCa(dir);
  caFile = made.caFile;
  cert = await ensureServingCert(dir, "proxy", made.ca, ["127.0.0.1"]);
  const b64 = async (f: string) => (await readFile(f)).toString("base64");
  kubeconfig = join(dir, "cluster.kubeconfig");
  await writeFile(kubeconfig, stringify({
    apiVersion: "v1", kind: "Config", "current-context": "c",
    clusters: [{ name: "c", cluster: { server: "https://10.0.0.1:6443", "certificate-authority-data": await b64(caFile) } }],
    users: [{ name: "u", user: { "client-certificate-data": await b64(cert.certFile), "client-key-data": await b64(cert.keyFile) } }],
    contexts: [{ name: "c", context: { cluster: "c", user: "u" } }],
  }));
});
after(() => rm(dir, { recursive: true, force: true }));

const embedded = () => ({ url: "https://127.0.0.1:5556", caFile, clientId: "kubeward" });

async function part(yaml: string, env: NodeJS.ProcessEnv): Promise<{ part: ProxyPart | undefined; problems: string[] }> {
  const file = join(dir, `serve-${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(file, yaml);
  const config = await loadServeConfig(["--config", file], { HOME: dir });
  const problems = new Problems();
  const resolved = await resolveProxyPart(config, { port: 6443, cert }, embedded(), { HOME: dir, ...env }, problems);
  return { part: resolved, problems: problems.list.map((p) => `${p.path}: ${p.message}`) };
}

describe("the proxy part of serve", () => {
  test("trusts the embedded issuer: its URL, its CA, the first client as audience, email and groups claims", async () => {
    const { part: p } = await part("{}\n", { KUBECONFIG: kubeconfig });
    assert.ok(p && "config" in p, JSON.stringify(p));
    const [issuer] = p.config.oidc;
    assert.equal(issuer?.issuerUrl, "https://127.0.0.1:5556");
    assert.deepEqual(issuer?.audiences, ["kubeward"]);
    assert.equal(issuer?.caPem, await readFile(caFile, "utf8"));
    assert.equal(issuer?.usernameClaim, "email");
    assert.equal(issuer?.usernamePrefix, "");
    assert.equal(issuer?.groupsClaim, "groups");
    assert.equal(p.config.upstream.server, "https://10.0.0.1:6443");
    assert.deepEqual(p.config.listen, { host: "127.0.0.1", port: 6443 });
    assert.equal(p.config.readinessProbePort, undefined, "no readiness port unless asked for");
    assert.equal(p.config.tlsCertFile, cert.certFile);
  });

  test("an oidc entry without issuerURL refines the embedded issuer; other issuers are trusted too", async () => {
    const yaml = `proxy:\n  oidc:\n    - { usernameClaim: sub, usernamePrefix: "kw:", clientID: other }\n    - { issuerURL: https://idp.example.com, clientID: k8s, caFile: ${caFile} }\n`;
    const { part: p } = await part(yaml, { KUBECONFIG: kubeconfig });
    assert.ok(p && "config" in p);
    assert.deepEqual(p.config.oidc.map((o) => [o.issuerUrl, o.audiences, o.usernameClaim, o.usernamePrefix]), [
      ["https://127.0.0.1:5556", ["other"], "sub", "kw:"],
      ["https://idp.example.com", ["k8s"], "sub", "https://idp.example.com#"],
    ]);
  });

  test("without a kubeconfig (and outside a pod) it is disabled, saying where it looked", async () => {
    const { part: p, problems } = await part("{}\n", {});
    assert.deepEqual(problems, []);
    assert.deepEqual(p, { disabled: `no kubeconfig to reach a cluster with (${join(dir, ".kube", "config")} does not exist)` });
  });

  test("an unusable current kubeconfig disables it with the reason", async () => {
    const execConfig = join(dir, "exec.kubeconfig");
    await writeFile(execConfig, stringify({
      apiVersion: "v1", kind: "Config", "current-context": "c",
      clusters: [{ name: "c", cluster: { server: "https://10.0.0.1:6443" } }],
      users: [{ name: "u", user: { exec: { apiVersion: "client.authentication.k8s.io/v1", command: "gke-gcloud-auth-plugin" } } }],
      contexts: [{ name: "c", context: { cluster: "c", user: "u" } }],
    }));
    const { part: p } = await part("{}\n", { KUBECONFIG: execConfig });
    assert.ok(p && "disabled" in p);
    assert.match(p.disabled, /exec credential plugin/);
  });

  test("a kubeconfig the user chose must work: its problem is an error, not a disabled proxy", async () => {
    const { part: p, problems } = await part("proxy:\n  kubeconfig: missing.kubeconfig\n  flushInterval: often\n", {});
    assert.equal(p, undefined);
    assert.ok(problems.some((l) => l.startsWith("proxy.kubeconfig: cannot load")), problems.join("\n"));
    assert.ok(problems.some((l) => l.startsWith("proxy.flushInterval: must be a duration")), problems.join("\n"));
  });
});
