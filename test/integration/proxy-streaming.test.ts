import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { request } from "node:https";
import { connect, constants } from "node:http2";
import { createHash } from "node:crypto";
import { once } from "node:events";
import { startHarness, UNAUTHORIZED, ALICE, type Harness } from "./proxy-harness.ts";

let h: Harness;
before(async () => { h = await startHarness(); });
after(() => h.close());

function gate(): { wait: Promise<void>; open: () => void } {
  let open = () => {};
  const wait = new Promise<void>((resolve) => { open = resolve; });
  return { wait, open };
}

function get(path: string) {
  const req = request({ host: "127.0.0.1", port: h.port, ca: h.caPem, path, agent: false, headers: { Authorization: "Bearer alice-token" } });
  req.end();
  return req;
}

test("the first watch event reaches the client before the upstream finishes", { timeout: 10_000 }, async () => {
  const release = gate();
  h.upstream.route("/api/v1/namespaces/w/pods", async (_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.write(`{"type":"ADDED","object":{"kind":"Pod"}}\n`);
    await release.wait;
    res.end(`{"type":"DELETED","object":{"kind":"Pod"}}\n`);
  });
  const [res] = await once(get("/api/v1/namespaces/w/pods?watch=true"), "response");
  assert.equal(res.statusCode, 200);
  const [first] = await once(res, "data");
  assert.equal(String(first), `{"type":"ADDED","object":{"kind":"Pod"}}\n`);
  assert.match(await h.metrics.registry.getSingleMetricAsString("kubeward_proxy_long_running_requests"), /class="resource"\} 1/);
  release.open();
  let rest = "";
  for await (const c of res) rest += c;
  assert.equal(rest, `{"type":"DELETED","object":{"kind":"Pod"}}\n`);
});

test("a large list streams: the client has the first megabytes while the upstream is still writing, and every byte arrives", { timeout: 10_000 }, async () => {
  const release = gate();
  const chunk = Buffer.alloc(64 * 1024, "x");
  const expected = createHash("sha256");
  h.upstream.route("/api/v1/configmaps", async (_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    for (let i = 0; i < 80; i++) {
      if (i === 40) await release.wait;
      if (!res.write(chunk)) await once(res, "drain");
    }
    res.end();
  });
  for (let i = 0; i < 80; i++) expected.update(chunk);
  const [res] = await once(get("/api/v1/configmaps"), "response");
  const got = createHash("sha256");
  let received = 0;
  let releasedAt = -1;
  for await (const c of res) {
    got.update(c as Buffer);
    received += (c as Buffer).length;
    if (releasedAt < 0 && received >= 40 * chunk.length) {
      releasedAt = received;
      release.open();
    }
  }
  assert.ok(releasedAt > 0, "the first half arrived before the upstream was allowed to go on");
  assert.equal(received, 80 * chunk.length);
  assert.equal(got.digest("hex"), expected.digest("hex"));
});

test("HTTP/2 clients are served, and a watch streams over HTTP/2", async () => {
  const release = gate();
  h.upstream.route("/apis/apps/v1/deployments", async (_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.write(`{"type":"ADDED"}\n`);
    await release.wait;
    res.end();
  });
  const session = connect(`https://127.0.0.1:${h.port}`, { ca: h.caPem });
  try {
    const stream = session.request({ ":path": "/apis/apps/v1/deployments?watch=1", authorization: "Bearer alice-token" });
    const [headers] = await once(stream, "response");
    assert.equal(headers[":status"], 200);
    const [first] = await once(stream, "data");
    assert.equal(String(first), `{"type":"ADDED"}\n`);
    release.open();
    await once(stream, "end");
    assert.equal(session.alpnProtocol, "h2");
    assert.deepEqual(h.upstream.requests.at(-1)?.values("impersonate-user"), [ALICE.username]);
  } finally {
    session.close();
  }
});

test("over HTTP/2 every repeated response header arrives: both of kube-apiserver's Warning lines, plain and watch", async () => {
  const warnings = ['299 - "extensions/v1beta1 is deprecated"', '299 - "use apps/v1"'];
  for (const path of ["/apis/extensions/v1beta1/ingresses", "/apis/extensions/v1beta1/ingresses?watch=1"]) {
    h.upstream.route("/apis/extensions/v1beta1/ingresses", (_req, res) => {
      res.setHeader("warning", warnings);
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
    const session = connect(`https://127.0.0.1:${h.port}`, { ca: h.caPem });
    try {
      const stream = session.request({ ":path": path, authorization: "Bearer alice-token" });
      const [headers] = await once(stream, "response");
      stream.resume();
      await once(stream, "end");
      assert.deepEqual([headers[":status"], headers["warning"]], [200, warnings.join(", ")], path);
    } finally {
      session.close();
    }
  }
});

test("an unauthenticated HTTP/2 request gets the 401 Status and the session is closed (GOAWAY)", async () => {
  const session = connect(`https://127.0.0.1:${h.port}`, { ca: h.caPem });
  const goaway = once(session, "goaway");
  const stream = session.request({ ":path": "/api/v1/pods" });
  const [headers] = await once(stream, "response");
  let body = "";
  for await (const c of stream) body += c;
  assert.equal(headers[":status"], 401);
  assert.deepEqual(JSON.parse(body), UNAUTHORIZED);
  const [code] = await goaway;
  assert.equal(code, constants.NGHTTP2_NO_ERROR);
  session.destroy();
});

test("an HTTP/2 request body is forwarded", async () => {
  h.upstream.route("/api/v1/namespaces/default/events", async (req, res) => {
    let body = "";
    for await (const c of req) body += c;
    res.writeHead(201, { "content-type": "application/json" }).end(body);
  });
  const session = connect(`https://127.0.0.1:${h.port}`, { ca: h.caPem });
  try {
    const stream = session.request({ ":path": "/api/v1/namespaces/default/events", ":method": "POST", authorization: "Bearer alice-token", "content-type": "application/json" });
    stream.end(`{"kind":"Event"}`);
    const [headers] = await once(stream, "response");
    let body = "";
    for await (const c of stream) body += c;
    assert.equal(headers[":status"], 201);
    assert.equal(body, `{"kind":"Event"}`);
  } finally {
    session.close();
  }
});

test("an HTTP/2 upload with Expect: 100-continue is told to go on only once its token is accepted", async () => {
  h.upstream.route("/api/v1/namespaces/default/secrets", async (req, res) => {
    let body = "";
    for await (const c of req) body += c;
    res.writeHead(201, { "content-type": "application/json" }).end(body);
  });
  const upload = async (token: string) => {
    const session = connect(`https://127.0.0.1:${h.port}`, { ca: h.caPem });
    session.on("error", () => {});
    try {
      const stream = session.request({ ":path": "/api/v1/namespaces/default/secrets", ":method": "POST", authorization: `Bearer ${token}`, expect: "100-continue" });
      let continued = false;
      stream.once("continue", () => { continued = true; stream.end(`{"kind":"Secret"}`); });
      const [headers] = await once(stream, "response");
      let body = "";
      for await (const c of stream) body += c;
      return { continued, status: headers[":status"], body };
    } finally {
      session.destroy();
    }
  };
  assert.deepEqual(await upload("alice-token"), { continued: true, status: 201, body: `{"kind":"Secret"}` });
  const refused = await upload("not-a-token");
  assert.deepEqual({ continued: refused.continued, status: refused.status }, { continued: false, status: 401 });
});

test("an HTTP/1.1 upload with Expect: 100-continue is told to go on only once its token is accepted", async () => {
  h.upstream.route("/api/v1/namespaces/default/serviceaccounts", async (req, res) => {
    let body = "";
    for await (const c of req) body += c;
    res.writeHead(201, { "content-type": "application/json" }).end(body);
  });
  const upload = (token: string) => new Promise<{ continued: boolean; status: number | undefined; body: string }>((resolve, reject) => {
    let continued = false;
    const req = request({
      host: "127.0.0.1", port: h.port, ca: h.caPem, path: "/api/v1/namespaces/default/serviceaccounts", method: "POST", agent: false,
      headers: { Authorization: `Bearer ${token}`, Expect: "100-continue", "Content-Length": 21 },
    }, async (res) => {
      let body = "";
      for await (const c of res) body += c;
      resolve({ continued, status: res.statusCode, body });
    });
    req.on("continue", () => { continued = true; req.end(`{"kind":"ServiceAcc"}`); });
    req.on("error", reject);
  });
  assert.deepEqual(await upload("alice-token"), { continued: true, status: 201, body: `{"kind":"ServiceAcc"}` });
  const refused = await upload("not-a-token");
  assert.deepEqual({ continued: refused.continued, status: refused.status }, { continued: false, status: 401 });
});

test("over HTTP/2 a HEAD request gets the head alone, and a Status carries a Date", async () => {
  h.upstream.route("/api/v1/namespaces", (_req, res) => { res.writeHead(200, { "content-type": "application/json", "x-upstream": "yes" }).end(); });
  const session = connect(`https://127.0.0.1:${h.port}`, { ca: h.caPem });
  try {
    const head = session.request({ ":path": "/api/v1/namespaces", ":method": "HEAD", authorization: "Bearer alice-token" });
    const [headers] = await once(head, "response");
    let bytes = 0;
    for await (const c of head) bytes += (c as Buffer).length;
    assert.deepEqual([headers[":status"], headers["x-upstream"], bytes], [200, "yes", 0]);
    const refused = session.request({ ":path": "/api/v1/namespaces", authorization: "Bearer alice-token", "impersonate-group": "g" });
    const [status] = await once(refused, "response");
    refused.resume();
    await once(refused, "end");
    assert.equal(status[":status"], 400);
    assert.ok(!Number.isNaN(Date.parse(String(status["date"]))), `a Date header, got ${String(status["date"])}`);
  } finally {
    session.close();
  }
});

test("an HTTP/2 CONNECT gets a 400 Status and never reaches the upstream", async () => {
  const before = h.upstream.requests.length;
  const session = connect(`https://127.0.0.1:${h.port}`, { ca: h.caPem });
  try {
    const stream = session.request({ ":method": "CONNECT", ":authority": "10.0.0.1:443", authorization: "Bearer alice-token" });
    const [headers] = await once(stream, "response");
    let body = "";
    for await (const c of stream) body += c;
    assert.equal(headers[":status"], 400);
    assert.equal(JSON.parse(body)["kind"], "Status");
    assert.equal(h.upstream.requests.length, before);
  } finally {
    session.close();
  }
});

test("a client that goes away mid-watch does not disturb the proxy", async () => {
  let upstreamClosed: Promise<unknown> = Promise.resolve();
  h.upstream.route("/api/v1/secrets", (_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.write(`{"type":"ADDED"}\n`);
    upstreamClosed = once(res, "close");
  });
  const req = get("/api/v1/secrets?watch=true");
  const [res] = await once(req, "response");
  await once(res, "data");
  req.destroy();
  await upstreamClosed;
  const [again] = await once(get("/version"), "response");
  assert.equal(again.statusCode, 200);
  again.resume();
});

for (const how of ["resets its stream", "drops its connection"] as const) {
  test(`an HTTP/2 client that ${how} mid-watch has its upstream watch closed`, async () => {
    let upstreamClosed: Promise<unknown> | undefined;
    h.upstream.route("/api/v1/serviceaccounts", (_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write(`{"type":"ADDED"}\n`);
      upstreamClosed = once(res, "close");
    });
    const session = connect(`https://127.0.0.1:${h.port}`, { ca: h.caPem });
    session.on("error", () => {});
    const stream = session.request({ ":path": "/api/v1/serviceaccounts?watch=1", authorization: "Bearer alice-token" });
    stream.on("error", () => {});
    await once(stream, "data");
    if (how === "resets its stream") stream.close(constants.NGHTTP2_CANCEL);
    else session.destroy();
    const closed = await Promise.race([upstreamClosed?.then(() => true), new Promise((r) => setTimeout(() => r(false), 3000))]);
    session.destroy();
    assert.equal(closed, true, "the proxy closed its upstream request");
  });
}

test("an oversized HTTP/2 header block is a 431 Status and never reaches the upstream", async () => {
  const before = h.upstream.requests.length;
  const session = connect(`https://127.0.0.1:${h.port}`, { ca: h.caPem });
  try {
    const stream = session.request({ ":path": "/api/v1/pods", authorization: "Bearer alice-token", "x-big": "a".repeat(20_000) });
    const [headers] = await once(stream, "response");
    let body = "";
    for await (const c of stream) body += c;
    assert.equal(headers[":status"], 431);
    assert.equal(JSON.parse(body)["code"], 431);
    assert.equal(h.upstream.requests.length, before);
  } finally {
    session.close();
  }
});

test("an HTTP/2 upload the client resets never reaches the upstream as a complete body", async () => {
  const completed: boolean[] = [];
  h.upstream.route("/api/v1/namespaces/default/limitranges", (req, res) => {
    req.on("error", () => {});
    req.on("close", () => completed.push(req.complete));
    req.resume();
    req.on("end", () => res.writeHead(201).end());
  });
  const session = connect(`https://127.0.0.1:${h.port}`, { ca: h.caPem });
  session.on("error", () => {});
  const stream = session.request({ ":path": "/api/v1/namespaces/default/limitranges", ":method": "POST", authorization: "Bearer alice-token" });
  stream.on("error", () => {});
  stream.write(`{"kind":"LimitRange","spec":`);
  await new Promise((r) => setTimeout(r, 100));
  stream.destroy();
  for (let i = 0; i < 200 && completed.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  session.destroy();
  assert.deepEqual(completed, [false], "the upstream saw the upload cut, not a complete truncated body");
});

test("an HTTP/2 request with many header fields (200 --as-group values) is served", async () => {
  h.upstream.setReviewer(() => ({ allowed: true }));
  const groups = Array.from({ length: 200 }, (_, i) => `g${i}`);
  const session = connect(`https://127.0.0.1:${h.port}`, { ca: h.caPem, maxHeaderListPairs: 2000 });
  try {
    const stream = session.request({ ":path": "/api/v1/pods", authorization: "Bearer alice-token", "impersonate-user": "bob", "impersonate-group": groups });
    const [headers] = await once(stream, "response");
    stream.resume();
    await once(stream, "end");
    assert.equal(headers[":status"], 200);
    assert.deepEqual(h.upstream.requests.at(-1)?.values("impersonate-group"), groups);
  } finally {
    session.close();
    h.upstream.setReviewer(() => ({ allowed: false }));
  }
});
