import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { request } from "node:https";
import { connect } from "node:tls";
import { connect as netConnect } from "node:net";
import { once } from "node:events";
import { startHarness, send, type Harness } from "./proxy-harness.ts";
import { startRecordingUpstream } from "../tools/recording-upstream.ts";
import { createOpsServers } from "../../src/health/ops-server.ts";
import { createLogger } from "../../src/log/logger.ts";
import { createCertificateAuthority, issueCertificate } from "../../src/pki/certificates.ts";
import { writeFile } from "node:fs/promises";

const AUTH = ["Authorization", "Bearer alice-token"];

async function waitFor(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`timed out waiting for: ${what}`);
}

async function get(url: string): Promise<{ status: number; text: string }> {
  const res = await fetch(url);
  return { status: res.status, text: await res.text() };
}

test("readiness follows the authenticator and the upstream probe, on the ops endpoints too", async (t) => {
  const h = await startHarness({ tuning: { probeIntervalMs: 20 } });
  const ops = createOpsServers({ ...baseConfig(), metricsListen: { host: "127.0.0.1", port: 0 }, readinessProbePort: 0 },
    { metrics: h.metrics, ready: () => h.proxy.ready(), logger: createLogger({ level: "silent" }), readinessProbeHost: "127.0.0.1" });
  await ops.listen();
  t.after(async () => { await ops.close(); await h.close(); });
  const { metrics: m, readiness: r } = ops.addresses();
  assert.ok(m && r);
  await waitFor(() => h.proxy.ready(), "ready");
  assert.equal((await get(`http://127.0.0.1:${r.port}/ready`)).status, 200);
  assert.equal((await get(`http://127.0.0.1:${m.port}/readyz`)).text, "ok");

  h.authenticator.setReady(false);
  assert.equal(h.proxy.ready(), false, "no keys, not ready");
  assert.equal((await get(`http://127.0.0.1:${r.port}/ready`)).status, 503);
  h.authenticator.setReady(true);

  h.upstream.setReady(false);
  await waitFor(() => !h.proxy.ready(), "not ready once kube-apiserver's /readyz fails");
  assert.equal((await get(`http://127.0.0.1:${m.port}/readyz`)).status, 503);
  assert.equal((await get(`http://127.0.0.1:${m.port}/healthz`)).status, 200, "liveness does not depend on the upstream");
  assert.match(await h.metrics.registry.getSingleMetricAsString("kubeward_ready"), /^kubeward_ready 0$/m);
  h.upstream.setReady(true);
  const gauge = () => h.metrics.registry.getSingleMetricAsString("kubeward_ready");
  await waitFor(async () => /^kubeward_ready 1$/m.test(await gauge()), "the ready gauge follows the probe without anyone asking");
  assert.equal(h.proxy.ready(), true);
});

test("a probe result goes stale: without a recent success the proxy is not ready", async (t) => {
  const h = await startHarness({ tuning: { probeIntervalMs: 60_000 } });
  t.after(() => h.close());
  await waitFor(() => h.proxy.ready(), "ready after the first probe");
  h.clock.set(h.clock.now() + 3 * 60_000 + 1);
  assert.equal(h.proxy.ready(), false);
});

/** A proxy whose first probe (every minute) meets an upstream that drops the next `drops` /readyz connections unanswered. */
async function startWithDroppedProbes(t: TestContext, drops: number) {
  const upstream = await startRecordingUpstream();
  t.after(() => upstream.close());
  upstream.dropReadyz(drops);
  const h = await startHarness({ upstream, tuning: { probeIntervalMs: 60_000 } });
  t.after(() => h.close());
  return { upstream, h };
}

test("a readiness probe whose connection kube-apiserver drops unanswered is sent once more, so one drop does not make the proxy unready", async (t) => {
  const { upstream, h } = await startWithDroppedProbes(t, 1);
  await waitFor(() => h.proxy.ready(), "ready after the first probe, sent twice");
  assert.equal(upstream.readyzRequests(), 2);
  assert.match(await h.metrics.registry.getSingleMetricAsString("kubeward_upstream_retries_total"), /^kubeward_upstream_retries_total\{reason="reset"\} 1$/m);
});

test("a readiness probe dropped twice fails after its second attempt", async (t) => {
  const { upstream, h } = await startWithDroppedProbes(t, 2);
  await waitFor(() => h.logs().some((l) => l["msg"] === "upstream probe failed"), "the probe failed");
  assert.equal(upstream.readyzRequests(), 2);
  assert.equal(h.proxy.ready(), false);
});

test("/metrics shows request counts with bounded labels only", async (t) => {
  const h = await startHarness();
  const ops = createOpsServers({ ...baseConfig(), metricsListen: { host: "127.0.0.1", port: 0 } },
    { metrics: h.metrics, ready: () => true, logger: createLogger({ level: "silent" }) });
  await ops.listen();
  t.after(async () => { await ops.close(); await h.close(); });
  await send(h, "/api/v1/namespaces/secret-ns/pods/web-0", AUTH);
  await send(h, "/apis/apps/v1/namespaces/secret-ns/deployments/x/scale", AUTH, { method: "PATCH", body: "{}" });
  await send(h, "/api/v1/pods", []);
  const res = await fetch(`http://127.0.0.1:${ops.addresses().metrics?.port}/metrics`);
  assert.match(res.headers.get("content-type") ?? "", /^text\/plain/);
  const text = await res.text();
  assert.match(text, /kubeward_proxy_requests_total\{verb="get",class="resource",code="200"\} 1/);
  assert.match(text, /kubeward_proxy_requests_total\{verb="patch",class="scale",code="200"\} 1/);
  assert.match(text, /kubeward_proxy_requests_total\{verb="list",class="resource",code="401"\} 1/);
  assert.match(text, /kubeward_proxy_request_duration_seconds_count\{verb="get",class="resource"\} 1/);
  assert.match(text, /kubeward_proxy_requests_in_flight 0/);
  assert.doesNotMatch(text, /alice|secret-ns|web-0|127\.0\.0\.1/);
  assert.equal((await fetch(`http://127.0.0.1:${ops.addresses().metrics?.port}/nope`)).status, 404);
});

test("close drains: an in-flight request completes, a watch ends cleanly, upgrades are cut, new connections are refused", { timeout: 10_000 }, async (t) => {
  const h = await startHarness();
  t.after(() => h.close());
  h.upstream.route("/api/v1/slow", async (_req, res) => {
    await new Promise((r) => setTimeout(r, 300));
    res.writeHead(200, { "content-type": "application/json" }).end(`{"kind":"PodList","items":[]}`);
  });
  h.upstream.route("/api/v1/namespaces/w/pods", async (_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.write(`{"type":"ADDED"}\n{"type":"MOD`);
    await new Promise((r) => setTimeout(r, 200));
    res.write(`IFIED"}\n`);
  });
  const watchReq = request({ host: "127.0.0.1", port: h.port, ca: h.caPem, path: "/api/v1/namespaces/w/pods?watch=true", agent: false, headers: { Authorization: "Bearer alice-token" } });
  watchReq.end();
  const [watch] = await once(watchReq, "response");
  let watchBody = "";
  watch.on("data", (c: Buffer) => { watchBody += c; });
  await waitFor(() => watchBody.length > 0, "first watch bytes");
  const watchEnded = new Promise<string>((resolve) => {
    watch.once("end", () => resolve("end"));
    watch.once("aborted", () => resolve("aborted"));
    watch.once("error", () => resolve("error"));
  });
  const upgraded = connect({ host: "127.0.0.1", port: h.port, ca: h.caPem, ALPNProtocols: ["http/1.1"] });
  await once(upgraded, "secureConnect");
  const upgradedClosed = once(upgraded, "close");
  upgraded.write("POST /api/v1/namespaces/d/pods/p/exec HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer alice-token\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n\r\n");
  await once(upgraded, "data");
  const slow = send(h, "/api/v1/slow", AUTH);
  await waitFor(() => h.upstream.requests.some((r) => r.url === "/api/v1/slow"), "slow request upstream");

  const closing = h.proxy.close();
  assert.equal(await watchEnded, "end", "the watch stream ends, it is not reset");
  assert.equal(watchBody, `{"type":"ADDED"}\n{"type":"MODIFIED"}\n`, "a half-written event is completed before the end");
  const reply = await slow;
  assert.equal(reply.status, 200);
  assert.equal(reply.text, `{"kind":"PodList","items":[]}`);
  await closing;
  await upgradedClosed;
  await assert.rejects(send(h, "/version", AUTH), /ECONNREFUSED/);
  assert.equal(h.proxy.ready(), false);
});

test("close does not wait for a connection that never finished its TLS handshake", { timeout: 10_000 }, async (t) => {
  const h = await startHarness({ config: { shutdownGracePeriodMs: 100 } });
  t.after(() => h.close());
  const idle = netConnect(h.port, "127.0.0.1");
  await once(idle, "connect");
  const closedByProxy = once(idle, "close");
  await h.proxy.close();
  await closedByProxy;
});

test("a rotated serving certificate is served without a restart; a mismatched pair is not", { timeout: 10_000 }, async (t) => {
  const h = await startHarness({ tuning: { certReloadIntervalMs: 20 } });
  t.after(() => h.close());
  const ca = await createCertificateAuthority("rotated-ca");
  const next = await issueCertificate(ca, { commonName: "kubeward", hosts: ["127.0.0.1"], usage: "server" });
  await writeFile(h.certFiles.certFile, next.certPem);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal((await send(h, "/version", AUTH)).status, 200, "new certificate with the old key: still the old pair");
  await writeFile(h.certFiles.keyFile, next.keyPem);
  await waitFor(async () => {
    const reply = await send({ ...h, caPem: ca.certPem }, "/version", AUTH).catch(() => undefined);
    return reply?.status === 200;
  }, "the rotated certificate is served");
  await assert.rejects(send(h, "/version", AUTH), /certificate/);
  assert.ok(h.logs().some((l) => l["msg"] === "serving certificate reloaded"));
});

function baseConfig() {
  return {
    oidc: [], upstream: { server: "https://127.0.0.1:1", insecureSkipTlsVerify: false }, listen: { host: "127.0.0.1", port: 0 },
    tlsCertFile: "", tlsPrivateKeyFile: "", flushIntervalMs: 0, extraUserHeaders: {}, extraUserHeaderClientIp: false,
    allowReservedIdentities: false, shutdownGracePeriodMs: 1_000, maxHeaderSize: 16_384, logLevel: "info" as const,
  };
}

export type { Harness };
