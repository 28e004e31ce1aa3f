import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openWatch, startHarness, send } from "./proxy-harness.ts";
import { startRecordingUpstream } from "../tools/recording-upstream.ts";
import { issueCertificate } from "../../src/pki/certificates.ts";
import { TOKEN_FILE_REFRESH_MS } from "../../src/proxy/token-source.ts";

test("the proxy presents its own bearer token upstream, for requests, reviews and probes, never the client's", async (t) => {
  const h = await startHarness({ upstreamConfig: { token: "proxy-sa-token" } });
  t.after(() => h.close());
  h.upstream.setReviewer(() => ({ allowed: true }));
  await send(h, "/api/v1/pods", ["Authorization", "Bearer alice-token", "Impersonate-User", "bob"]);
  assert.deepEqual(h.upstream.requests.at(-1)?.values("authorization"), ["Bearer proxy-sa-token"]);
  assert.equal(h.upstream.reviews.length, 1);
});

test("a token file is re-read once it may have rotated (projected service-account tokens)", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "kubeward-sa-"));
  const file = join(dir, "token");
  await writeFile(file, "sa-token-1\n");
  const h = await startHarness({ upstreamConfig: { tokenFile: file } });
  t.after(async () => { await h.close(); await rm(dir, { recursive: true, force: true }); });
  await send(h, "/api/v1/pods", ["Authorization", "Bearer alice-token"]);
  assert.deepEqual(h.upstream.requests.at(-1)?.values("authorization"), ["Bearer sa-token-1"]);
  await writeFile(file, "sa-token-2\n");
  h.clock.set(h.clock.now() + TOKEN_FILE_REFRESH_MS);
  await send(h, "/api/v1/pods", ["Authorization", "Bearer alice-token"]);
  assert.deepEqual(h.upstream.requests.at(-1)?.values("authorization"), ["Bearer sa-token-2"]);
});

test("a server URL with a path prefix is put before every forwarded path", async (t) => {
  const h = await startHarness();
  t.after(() => h.close());
  const prefixed = await startHarness({ upstream: h.upstream, upstreamConfig: { server: `${h.upstream.url}/k8s/clusters/c-1/` } });
  t.after(() => prefixed.close());
  await send(prefixed, "/api/v1/pods?limit=1", ["Authorization", "Bearer alice-token"]);
  assert.equal(h.upstream.requests.at(-1)?.url, "/k8s/clusters/c-1/api/v1/pods?limit=1");
});

test("a client certificate read from files is re-read as it is renewed; an open watch keeps its connection", async (t) => {
  const upstream = await startRecordingUpstream();
  const dir = await mkdtemp(join(tmpdir(), "kubeward-client-cert-"));
  const files = { certFile: join(dir, "client.crt"), keyFile: join(dir, "client.key") };
  const first = upstream.clientCert;
  await writeFile(files.certFile, first.certPem);
  await writeFile(files.keyFile, first.keyPem);
  upstream.route("/api/v1/configmaps", (_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.write('{"type":"ADDED"}\n');
  });
  const h = await startHarness({
    upstream, upstreamConfig: { certPem: first.certPem, keyPem: first.keyPem, clientCertFiles: files }, tuning: { certReloadIntervalMs: 20 },
  });
  t.after(async () => { await h.close(); await upstream.close(); await rm(dir, { recursive: true, force: true }); });
  const AUTH = ["Authorization", "Bearer alice-token"];
  const clientCN = () => upstream.requests.at(-1)?.clientCN;

  await send(h, "/api/v1/pods", AUTH);
  assert.equal(clientCN(), "kubeward-proxy");
  const watch = await openWatch(h, "/api/v1/configmaps?watch=1");
  let watchClosed = false;
  watch.on("close", () => { watchClosed = true; });

  const renewed = await issueCertificate(upstream.ca, { commonName: "kubeward-proxy-renewed", usage: "client" });
  await writeFile(files.certFile, renewed.certPem);
  await waitFor(() => h.logs().some((l) => l["msg"] === "client certificate for kube-apiserver not reloaded; keeping the current one"));
  await send(h, "/api/v1/pods", AUTH);
  assert.equal(clientCN(), "kubeward-proxy", "a half-written renewal (new certificate, old key) is not taken");

  await writeFile(files.keyFile, renewed.keyPem);
  await waitFor(() => h.logs().some((l) => l["msg"] === "client certificate for kube-apiserver reloaded"));
  await send(h, "/api/v1/pods", AUTH);
  assert.equal(clientCN(), "kubeward-proxy-renewed", "new connections present the renewed certificate");
  assert.equal(watchClosed, false, "the watch opened before the renewal is still open");
  watch.destroy();
});

async function waitFor(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.ok(check(), "timed out");
}
