/**
 * kube-apiserver offers HTTP/2 by ALPN. Repeated impersonation headers must
 * still reach it as separate values: an HTTP/2 client that folds them into
 * one "a, b" header turns two groups into one group kube-apiserver never had.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { connect, constants, createSecureServer, type Http2SecureServer, type ServerHttp2Stream } from "node:http2";
import { once } from "node:events";
import { connect as netConnect, createServer as createNetServer, type AddressInfo, type Socket } from "node:net";
import { createCertificateAuthority, issueCertificate } from "../../src/pki/certificates.ts";
import { openWatch, send, startHarness } from "./proxy-harness.ts";
import { KEEPALIVE_TIMER, tcpTimers } from "../tools/tcp-timers.ts";

interface Seen {
  readonly httpVersion: string;
  readonly rawHeaders: string[];
}

async function startH2Upstream(maxConcurrentStreams?: number): Promise<{ server: Http2SecureServer; url: string; caPem: string; seen: Seen[]; sessions: () => number; held: Promise<unknown>[] }> {
  const ca = await createCertificateAuthority("h2-upstream-ca");
  const leaf = await issueCertificate(ca, { commonName: "127.0.0.1", hosts: ["127.0.0.1"], usage: "server" });
  const seen: Seen[] = [];
  /** Settles when a held watch (`hold=1`: one event, then open until the proxy lets go) is closed. */
  const held: Promise<unknown>[] = [];
  const settings = maxConcurrentStreams === undefined ? {} : { settings: { maxConcurrentStreams } };
  let sessions = 0;
  const server = createSecureServer({ cert: leaf.certPem, key: leaf.keyPem, allowHTTP1: true, ...settings }, (req, res) => {
    seen.push({ httpVersion: req.httpVersion, rawHeaders: req.rawHeaders });
    if ((req.url ?? "").includes("hold=1")) {
      res.writeHead(200, { "content-type": "application/json" });
      res.write('{"type":"ADDED"}\n');
      held.push(once(res, "close"));
      return;
    }
    if (!(req.url ?? "").includes("watch=1")) {
      res.writeHead(200, { "content-type": "application/json" }).end('{"kind":"Status","status":"Success"}');
      return;
    }
    // A watch: two events, the second a moment later, then the end (as when kube-apiserver's watch timeout passes).
    res.writeHead(200, { "content-type": "application/json" });
    res.write('{"type":"ADDED"}\n');
    setTimeout(() => res.end('{"type":"MODIFIED"}\n'), 50);
  });
  server.on("session", () => { sessions++; });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { server, url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, caPem: ca.certPem, seen, sessions: () => sessions, held };
}

function values(rawHeaders: readonly string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i]?.toLowerCase() === name) out.push(rawHeaders[i + 1] ?? "");
  }
  return out;
}

test("each group reaches an upstream that offers HTTP/2 as its own Impersonate-Group header", async (t) => {
  const up = await startH2Upstream();
  t.after(() => up.server.close());
  const h = await startHarness({ upstreamConfig: { server: up.url, caPem: up.caPem } });
  t.after(() => h.close());

  const reply = await send(h, "/api/v1/namespaces", ["Authorization", "Bearer alice-token"]);
  assert.equal(reply.status, 200);
  const request = up.seen.at(-1);
  assert.ok(request, "the upstream saw the request");
  assert.deepEqual(values(request.rawHeaders, "impersonate-group"), ["devs", "ops team"]);
  assert.deepEqual(values(request.rawHeaders, "impersonate-user"), ["alice@example.com"]);
});

test("watches go over HTTP/2 to an upstream that offers it, groups still separate; plain requests stay on HTTP/1.1", async (t) => {
  const up = await startH2Upstream();
  t.after(() => up.server.close());
  const h = await startHarness({ upstreamConfig: { server: up.url, caPem: up.caPem } });
  t.after(() => h.close());

  const watches = await Promise.all([1, 2, 3].map(() => send(h, "/api/v1/namespaces/default/configmaps?watch=1", ["Authorization", "Bearer alice-token"])));
  for (const w of watches) {
    assert.equal(w.status, 200);
    assert.equal(w.headers["content-type"], "application/json");
    assert.equal(w.text, '{"type":"ADDED"}\n{"type":"MODIFIED"}\n', "every event arrives, then the end");
  }
  const streamed = up.seen.filter((s) => s.httpVersion === "2.0");
  assert.equal(streamed.length, 3, "the watches were HTTP/2 streams");
  for (const s of streamed) {
    assert.deepEqual(values(s.rawHeaders, "impersonate-group"), ["devs", "ops team"]);
    assert.deepEqual(values(s.rawHeaders, "impersonate-user"), ["alice@example.com"]);
    assert.deepEqual(values(s.rawHeaders, "authorization"), [], "no credentials configured: none sent");
  }
  const plain = await send(h, "/api/v1/namespaces", ["Authorization", "Bearer alice-token"]);
  assert.equal(plain.status, 200);
  assert.equal(up.seen.at(-1)?.httpVersion, "1.1");
});

test("watches beyond the upstream's stream limit open another HTTP/2 connection instead of waiting", async (t) => {
  const up = await startH2Upstream(2);
  t.after(() => up.server.close());
  const h = await startHarness({ upstreamConfig: { server: up.url, caPem: up.caPem } });
  t.after(() => h.close());

  const watches = await Promise.all(Array.from({ length: 5 }, () => send(h, "/api/v1/namespaces/default/configmaps?watch=1", ["Authorization", "Bearer alice-token"])));
  for (const w of watches) assert.equal(w.text, '{"type":"ADDED"}\n{"type":"MODIFIED"}\n');
  assert.equal(up.seen.filter((s) => s.httpVersion === "2.0").length, 5, "every watch went over HTTP/2");
  assert.equal(up.sessions(), 3, "two streams a connection: three connections for five watches");
});

// Refused unprocessed, the stream goes over HTTP/1.1 as a fallback; closed or lost before any answer, it is a
// reset the exchange replays once (a watch is a GET without a body). Neither is relayed as an empty 200.
for (const [how, cut, reason] of [
  ["refuses unprocessed (REFUSED_STREAM)", (stream: ServerHttp2Stream) => stream.close(constants.NGHTTP2_REFUSED_STREAM), "refused_stream"],
  ["ends with NO_ERROR", (stream: ServerHttp2Stream) => stream.close(constants.NGHTTP2_NO_ERROR), "reset"],
  ["cancels", (stream: ServerHttp2Stream) => stream.close(constants.NGHTTP2_CANCEL), "reset"],
  ["loses with its connection", (stream: ServerHttp2Stream) => stream.session?.destroy(), "reset"],
] as const) {
  test(`a watch stream the upstream ${how} before any answer is sent again over HTTP/1.1, counted as ${reason}`, async (t) => {
    const up = await startH2Upstream();
    t.after(() => up.server.close());
    let cuts = 0;
    up.server.prependListener("stream", (stream, headers) => {
      if (cuts > 0 || !String(headers[":path"]).includes("watch=1")) return;
      cuts++;
      cut(stream);
    });
    const h = await startHarness({ upstreamConfig: { server: up.url, caPem: up.caPem } });
    t.after(() => h.close());

    const w = await send(h, "/api/v1/namespaces/default/configmaps?watch=1", ["Authorization", "Bearer alice-token"]);
    assert.equal(w.status, 200);
    assert.equal(w.text, '{"type":"ADDED"}\n{"type":"MODIFIED"}\n');
    assert.equal(cuts, 1);
    assert.equal(up.seen.at(-1)?.httpVersion, "1.1", "answered over HTTP/1.1 after the cut");
    const retries = await h.metrics.registry.getSingleMetricAsString("kubeward_upstream_retries_total");
    assert.match(retries, new RegExp(`^kubeward_upstream_retries_total\\{reason="${reason}"\\} 1$`, "m"));
    assert.doesNotMatch(await h.metrics.registry.getSingleMetricAsString("kubeward_upstream_errors_total"), /kind=/, "the client saw no failure");
  });
}

test("a watch stream the upstream resets with INTERNAL_ERROR before any answer is a 502 Status, not sent again", async (t) => {
  const up = await startH2Upstream();
  t.after(() => up.server.close());
  let resets = 0;
  up.server.prependListener("stream", (stream, headers) => {
    if (!String(headers[":path"]).includes("watch=1")) return;
    resets++;
    stream.close(constants.NGHTTP2_INTERNAL_ERROR);
  });
  const h = await startHarness({ upstreamConfig: { server: up.url, caPem: up.caPem } });
  t.after(() => h.close());

  const w = await send(h, "/api/v1/namespaces/default/configmaps?watch=1", ["Authorization", "Bearer alice-token"]);
  assert.equal(w.status, 502);
  assert.equal((w.json() as { kind: string }).kind, "Status");
  assert.equal(resets, 1);
  assert.doesNotMatch(await h.metrics.registry.getSingleMetricAsString("kubeward_upstream_retries_total"), /reason=/);
});

for (const how of ["resets its stream", "drops its connection"] as const) {
  test(`an HTTP/2 client that ${how} mid-watch has its HTTP/2 stream to the upstream closed`, async (t) => {
    const up = await startH2Upstream();
    t.after(() => up.server.close());
    const h = await startHarness({ upstreamConfig: { server: up.url, caPem: up.caPem } });
    t.after(() => h.close());

    const session = connect(`https://127.0.0.1:${h.port}`, { ca: h.caPem });
    session.on("error", () => {});
    const stream = session.request({ ":path": "/api/v1/configmaps?watch=1&hold=1", authorization: "Bearer alice-token" });
    stream.on("error", () => {});
    await once(stream, "data");
    assert.equal(up.seen.at(-1)?.httpVersion, "2.0", "the watch went over HTTP/2 to the upstream");
    if (how === "resets its stream") stream.close(constants.NGHTTP2_CANCEL);
    else session.destroy();
    const closed = await Promise.race([up.held[0]?.then(() => true), new Promise((r) => setTimeout(() => r(false), 3000))]);
    session.destroy();
    assert.equal(closed, true, "the proxy cancelled its upstream stream");
  });
}

/**
 * A TCP relay to the upstream whose connections can be frozen: from then on
 * nothing passes either way and nothing is closed, as when the path to
 * kube-apiserver dies (its machine gone, a partition, a dropped NAT flow).
 */
async function startRelay(upstreamUrl: string): Promise<{ url: string; freeze(): void; close(): void }> {
  const target = new URL(upstreamUrl);
  const pairs: [Socket, Socket][] = [];
  const server = createNetServer((client) => {
    const upstream = netConnect(Number(target.port), target.hostname);
    client.on("error", () => {});
    upstream.on("error", () => {});
    client.pipe(upstream);
    upstream.pipe(client);
    pairs.push([client, upstream]);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    freeze: () => {
      for (const [a, b] of pairs) {
        a.unpipe(b);
        b.unpipe(a);
        a.pause();
        b.pause();
      }
    },
    close: () => {
      for (const [a, b] of pairs) {
        a.destroy();
        b.destroy();
      }
      server.close();
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test("a watch whose HTTP/2 connection to the upstream goes dead is cut once a PING goes unanswered, not left waiting forever", async (t) => {
  const up = await startH2Upstream();
  const relay = await startRelay(up.url);
  t.after(() => {
    relay.close();
    up.server.close();
  });
  const h = await startHarness({
    upstreamConfig: { server: relay.url, caPem: up.caPem },
    tuning: { upstreamPingIntervalMs: 100, upstreamPingTimeoutMs: 300 },
  });
  t.after(() => h.close());

  const watch = await openWatch(h, "/api/v1/namespaces/default/configmaps?watch=1&hold=1");
  assert.equal(up.seen.at(-1)?.httpVersion, "2.0", "the watch went over HTTP/2 to the upstream");
  let closed = false;
  watch.on("close", () => { closed = true; });
  await sleep(600);
  assert.equal(closed, false, "a quiet watch on a healthy connection stays open while its connection is pinged");

  relay.freeze();
  for (let waited = 0; !closed && waited < 3_000; waited += 50) await sleep(50);
  assert.equal(closed, true, "the watch was cut");
  assert.equal(watch.complete, false, "cut, not ended as if kube-apiserver had finished it");
  assert.match(await h.metrics.registry.getSingleMetricAsString("kubeward_upstream_errors_total"), /kind="timeout"\} 1/);
  assert.ok(h.logs().some((l) => l["level"] === "warn" && /did not answer an HTTP\/2 PING/.test(String(l["msg"]))));
});

test("a watch's HTTP/2 connection to the upstream has TCP keep-alive, for when a closing session can no longer be pinged", async (t) => {
  const up = await startH2Upstream();
  t.after(() => up.server.close());
  const h = await startHarness({ upstreamConfig: { server: up.url, caPem: up.caPem } });
  t.after(() => h.close());

  const watch = await openWatch(h, "/api/v1/namespaces/default/configmaps?watch=1&hold=1");
  assert.equal(up.seen.at(-1)?.httpVersion, "2.0", "the watch went over HTTP/2 to the upstream");
  const upstreamPort = Number(new URL(up.url).port);
  // The pool's HTTP/1.1 connections (the readiness probe's) probe after 60 s; the session's after 30 s.
  const timers = await tcpTimers();
  assert.ok(timers.some((s) => s.remote === upstreamPort && s.timer === KEEPALIVE_TIMER && s.seconds <= 30), "the session's connection has a 30 s keep-alive timer");
  watch.destroy();
});
