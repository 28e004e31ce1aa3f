import { test, after } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:tls";
import { once } from "node:events";
import { startHarness, send, type Harness } from "./proxy-harness.ts";
import { startRecordingUpstream } from "../tools/recording-upstream.ts";
import { createCertificateAuthority } from "../../src/pki/certificates.ts";

const AUTH = ["Authorization", "Bearer alice-token"];
const started: Harness[] = [];
after(async () => { for (const h of started) await h.close(); });

async function harness(options: Parameters<typeof startHarness>[0] = {}): Promise<Harness> {
  const h = await startHarness(options);
  started.push(h);
  return h;
}

function status(code: number, reason: string, message: string) {
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, code };
}

test("an unreachable upstream is a 503 Status, counted as a connect error", async () => {
  const upstream = await startRecordingUpstream();
  await upstream.close();
  const h = await harness({ upstream });
  const reply = await send(h, "/api/v1/pods", AUTH);
  assert.equal(reply.status, 503);
  assert.deepEqual(reply.json(), status(503, "ServiceUnavailable", "the Kubernetes API server is not reachable"));
  assert.match(await h.metrics.registry.getSingleMetricAsString("kubeward_upstream_errors_total"), /kind="connect"\} 1/);
});

test("an upstream whose certificate the proxy does not trust is a 503 counted as tls", async () => {
  const other = await createCertificateAuthority("someone-else");
  const h = await harness({ upstreamConfig: { caPem: other.certPem } });
  const reply = await send(h, "/api/v1/pods", AUTH);
  assert.equal(reply.status, 503);
  assert.match(await h.metrics.registry.getSingleMetricAsString("kubeward_upstream_errors_total"), /kind="tls"\} 1/);
});

test("an upstream that resets the connection is a 502, one that never answers is a 504", async () => {
  const h = await harness({ tuning: { upstreamTimeoutMs: 300 } });
  h.upstream.route("/api/v1/reset", (req) => { req.socket.destroy(); });
  h.upstream.route("/api/v1/slow", () => {});
  const reset = await send(h, "/api/v1/reset", AUTH);
  assert.equal(reset.status, 502);
  assert.deepEqual(reset.json(), status(502, "InternalError", "the Kubernetes API server gave an invalid response"));
  const slow = await send(h, "/api/v1/slow", AUTH);
  assert.equal(slow.status, 504);
  assert.deepEqual(slow.json(), status(504, "Timeout", "the Kubernetes API server did not answer in time"));
  // The 504 leaves from a timer, so this in-process client reads it before the turn ends and the proxy counts it.
  await new Promise((resolve) => setImmediate(resolve));
  const metrics = await h.metrics.registry.getSingleMetricAsString("kubeward_proxy_requests_total");
  assert.match(metrics, /verb="list",class="resource",code="502"\} 1/);
  assert.match(metrics, /verb="list",class="resource",code="504"\} 1/);
});

test("a GET whose connection kube-apiserver closes before answering is sent again, once, on a new connection", async () => {
  const h = await harness();
  const ports: number[] = [];
  h.upstream.route("/api/v1/namespaces/default/pods", (req, res) => {
    ports.push(req.socket.remotePort ?? 0);
    if (ports.length === 1) req.socket.destroy();
    else res.writeHead(200, { "content-type": "application/json" }).end(`{"kind":"PodList","items":[]}`);
  });
  const reply = await send(h, "/api/v1/namespaces/default/pods", AUTH);
  assert.equal(reply.status, 200);
  assert.deepEqual(reply.json(), { kind: "PodList", items: [] });
  assert.equal(ports.length, 2);
  assert.notEqual(ports[0], ports[1], "the second attempt used another connection");
  assert.match(await h.metrics.registry.getSingleMetricAsString("kubeward_upstream_retries_total"), /reason="reset"\} 1/);
  assert.doesNotMatch(await h.metrics.registry.getSingleMetricAsString("kubeward_upstream_errors_total"), /kind=/, "the client saw no failure");
});

test("a GET the upstream keeps cutting off is tried twice, then a 502", async () => {
  const h = await harness();
  h.upstream.route("/api/v1/pods", (req) => { req.socket.destroy(); });
  const reply = await send(h, "/api/v1/pods", AUTH);
  assert.equal(reply.status, 502);
  assert.equal(h.upstream.requests.filter((r) => r.url === "/api/v1/pods").length, 2);
  assert.match(await h.metrics.registry.getSingleMetricAsString("kubeward_upstream_retries_total"), /reason="reset"\} 1/);
  assert.match(await h.metrics.registry.getSingleMetricAsString("kubeward_upstream_errors_total"), /kind="reset"\} 1/);
});

test("a request with a body, or by a method that changes something, is never sent twice", async () => {
  const h = await harness();
  h.upstream.route("/api/v1/namespaces/default/configmaps", (req) => { req.socket.destroy(); });
  const post = await send(h, "/api/v1/namespaces/default/configmaps", [...AUTH, "Content-Type", "application/json"], { method: "POST", body: `{"kind":"ConfigMap"}` });
  assert.equal(post.status, 502);
  const del = await send(h, "/api/v1/namespaces/default/configmaps/a", AUTH, { method: "DELETE" });
  assert.equal(del.status, 502);
  assert.deepEqual(h.upstream.requests.map((r) => r.method), ["POST", "DELETE"]);
  assert.doesNotMatch(await h.metrics.registry.getSingleMetricAsString("kubeward_upstream_retries_total"), /reason=/);
});

test("an upstream that dies mid-body cuts the client's response instead of faking an end", async () => {
  const h = await harness();
  h.upstream.route("/api/v1/pods", (req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.write(`{"items":[`);
    setTimeout(() => req.socket.destroy(), 20);
  });
  await assert.rejects(send(h, "/api/v1/pods", AUTH), /aborted|ECONNRESET|socket hang up|terminated/);
  assert.match(await h.metrics.registry.getSingleMetricAsString("kubeward_upstream_errors_total"), /kind="(reset|bad_response)"\} 1/);
  assert.ok(h.logs().some((l) => l["msg"] === "request" && l["reason"] === "upstream_error" && l["code"] === 200));
  assert.equal((await send(h, "/version", AUTH)).status, 200, "the proxy keeps serving");
});

test("garbage on the wire is a 400 Status and never a crash", async () => {
  const h = await harness();
  const socket = connect({ host: "127.0.0.1", port: h.port, ca: h.caPem, ALPNProtocols: ["http/1.1"] });
  await once(socket, "secureConnect");
  socket.write("NOT HTTP AT ALL\r\n\r\n");
  let text = "";
  for await (const c of socket) text += c;
  assert.match(text, /^HTTP\/1\.1 400 Bad Request\r\n/);
  assert.equal(JSON.parse(text.slice(text.indexOf("\r\n\r\n") + 4))["kind"], "Status");
  assert.equal((await send(h, "/version", AUTH)).status, 200);
});

test("an absolute-form request target is a 400 Status, not an upstream error", async () => {
  const h = await harness();
  const socket = connect({ host: "127.0.0.1", port: h.port, ca: h.caPem, ALPNProtocols: ["http/1.1"] });
  await once(socket, "secureConnect");
  socket.end("GET https://evil.example/api/v1/pods HTTP/1.1\r\nHost: evil.example\r\nAuthorization: Bearer alice-token\r\nConnection: close\r\n\r\n");
  let text = "";
  for await (const c of socket) text += c;
  assert.match(text, /^HTTP\/1\.1 400 Bad Request\r\n/);
  assert.equal(h.upstream.requests.length, 0);
  assert.doesNotMatch(await h.metrics.registry.getSingleMetricAsString("kubeward_upstream_errors_total"), /kind=/);
});

test("close() can be called twice", async () => {
  const h = await harness();
  await Promise.all([h.proxy.close(), h.proxy.close()]);
  await h.proxy.close();
});

test("a client that resets mid-upload, before or after authentication, does not disturb the proxy", async () => {
  const h = await harness();
  let upstreamSawAbort = false;
  h.upstream.route("/api/v1/namespaces/default/configmaps", (req, res) => {
    req.on("error", () => { upstreamSawAbort = true; });
    req.resume();
    req.on("end", () => res.writeHead(201).end());
  });
  for (const auth of ["Bearer alice-token", "Bearer nope"]) {
    const socket = connect({ host: "127.0.0.1", port: h.port, ca: h.caPem, ALPNProtocols: ["http/1.1"] });
    socket.on("error", () => {});
    await once(socket, "secureConnect");
    socket.write(`POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\nContent-Length: 100000\r\n\r\n{"kind":`);
    await new Promise((r) => setTimeout(r, 50));
    socket.destroy();
  }
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(upstreamSawAbort, true, "the upload was cut upstream too");
  assert.equal((await send(h, "/version", AUTH)).status, 200);
});

test("an upgrade the upstream never answers is a 504 Status on the client's socket", { timeout: 10_000 }, async () => {
  const h = await harness({ tuning: { upstreamTimeoutMs: 200 } });
  h.upstream.ignoreUpgrades();
  const socket = connect({ host: "127.0.0.1", port: h.port, ca: h.caPem, ALPNProtocols: ["http/1.1"] });
  await once(socket, "secureConnect");
  socket.write("POST /api/v1/namespaces/d/pods/p/exec HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer alice-token\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n\r\n");
  let text = "";
  for await (const c of socket) text += c;
  assert.match(text, /^HTTP\/1\.1 504 Gateway Timeout\r\n/);
  assert.equal(JSON.parse(text.slice(text.indexOf("\r\n\r\n") + 4))["reason"], "Timeout");
  assert.match(await h.metrics.registry.getSingleMetricAsString("kubeward_upstream_errors_total"), /kind="timeout"\} 1/);
});

test("an upgraded session may stay idle longer than the upstream header timeout", { timeout: 10_000 }, async () => {
  const h = await harness({ tuning: { upstreamTimeoutMs: 150 } });
  const socket = connect({ host: "127.0.0.1", port: h.port, ca: h.caPem, ALPNProtocols: ["http/1.1"] });
  await once(socket, "secureConnect");
  socket.write("POST /api/v1/namespaces/d/pods/p/exec HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer alice-token\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n\r\n");
  const [head] = await once(socket, "data");
  assert.match(String(head), /^HTTP\/1\.1 101 /);
  await new Promise((r) => setTimeout(r, 450));
  socket.write("still here");
  const [echo] = await once(socket, "data");
  assert.equal(String(echo), "still here");
  socket.destroy();
});
