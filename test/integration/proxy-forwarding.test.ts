import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { authAttempts, startHarness, send, UNAUTHORIZED, ALICE, type Harness } from "./proxy-harness.ts";

let h: Harness;
before(async () => {
  h = await startHarness({
    config: { extraUserHeaders: { "example.org/team": ["blue"] }, extraUserHeaderClientIp: true },
  });
});
after(() => h.close());

function last() {
  const r = h.upstream.requests.at(-1);
  assert.ok(r, "the upstream saw a request");
  return r;
}

test("a request runs upstream as the token's user, groups, uid and escaped extras, with the proxy's client certificate", async () => {
  const reply = await send(h, "/api/v1/namespaces/default/pods?limit=5", ["Authorization", "Bearer alice-token"]);
  assert.equal(reply.status, 200);
  assert.deepEqual(reply.json(), { kind: "Echo", path: "/api/v1/namespaces/default/pods" });
  const r = last();
  assert.equal(r.url, "/api/v1/namespaces/default/pods?limit=5");
  assert.equal(r.clientCN, "kubeward-proxy");
  assert.deepEqual(r.values("impersonate-user"), [ALICE.username]);
  assert.deepEqual(r.values("impersonate-group"), ["devs", "ops team"]);
  assert.deepEqual(r.values("impersonate-uid"), ["u-1"]);
  assert.deepEqual(r.values("impersonate-extra-example.com%2ftenant"), ["t1"]);
  assert.deepEqual(r.values("impersonate-extra-example.org%2fteam"), ["blue"]);
  assert.deepEqual(r.values("impersonate-extra-remote-client-ip"), ["127.0.0.1"]);
  assert.deepEqual(r.values("x-forwarded-for"), ["127.0.0.1"]);
  assert.deepEqual(r.values("authorization"), [], "the client's token never goes upstream");
});

test("extra keys keep client-go's exact escaping (uppercase hex, % escaped)", async () => {
  const r0 = h.upstream.requests.length;
  await send(h, "/version", ["Authorization", "Bearer alice-token"]);
  const raw = h.upstream.requests[r0]?.rawHeaders ?? [];
  assert.ok(raw.includes("Impersonate-Extra-example.com%2Ftenant"), raw.join("|"));
});

test("the scheme is case-insensitive and a missing or unknown token is the exact kube-apiserver 401", async () => {
  assert.equal((await send(h, "/api", ["authorization", "BEARER alice-token"])).status, 200);
  for (const headers of [[], ["Authorization", "Bearer nope"], ["Authorization", "Basic YWxpY2U6cHc="], ["Authorization", "Bearer expired-token"]]) {
    const reply = await send(h, "/api/v1/pods", headers);
    assert.equal(reply.status, 401);
    assert.deepEqual(reply.json(), UNAUTHORIZED);
    assert.equal(reply.headers["content-type"], "application/json");
  }
});

test("the refusal reason is logged and counted, never returned; tokens never reach the log", async () => {
  const before = h.upstream.requests.length;
  await send(h, "/api/v1/pods", ["Authorization", "Bearer expired-token"]);
  assert.equal(h.upstream.requests.length, before, "a refused request never reaches the upstream");
  const line = h.logs().filter((l) => l["msg"] === "request").at(-1);
  assert.equal(line?.["reason"], "token_expired");
  assert.equal(line?.["code"], 401);
  assert.equal(line?.["verb"], "list");
  assert.doesNotMatch(h.logText(), /alice-token|expired-token|Bearer/);
  await send(h, "/api/v1/pods", []);
  const text = await h.metrics.registry.getSingleMetricAsString("kubeward_authentication_attempts_total");
  assert.match(text, /result="failure",reason="token_missing"\} [1-9]/);
});

test("reserved system: users and groups are refused with 401", async () => {
  for (const token of ["root-token", "masters-token"]) {
    const reply = await send(h, "/api/v1/pods", ["Authorization", `Bearer ${token}`]);
    assert.equal(reply.status, 401);
    assert.deepEqual(reply.json(), UNAUTHORIZED);
  }
  assert.ok(h.logs().some((l) => l["reason"] === "identity_reserved"));
});

test("each request counts once among authentication attempts: a served one as a success, a reserved identity as its refusal", async () => {
  const [ok, reserved] = [await authAttempts(h.metrics, "success", "ok"), await authAttempts(h.metrics, "failure", "identity_reserved")];
  assert.equal((await send(h, "/api/v1/pods", ["Authorization", "Bearer alice-token"])).status, 200);
  assert.equal((await send(h, "/api/v1/pods", ["Authorization", "Bearer root-token"])).status, 401);
  assert.equal(await authAttempts(h.metrics, "success", "ok"), ok + 1);
  assert.equal(await authAttempts(h.metrics, "failure", "identity_reserved"), reserved + 1);
});

test("a client cannot strip or inject identity headers through Connection or its own headers", async () => {
  const reply = await send(h, "/api/v1/pods", [
    "Authorization", "Bearer alice-token",
    "Connection", "keep-alive, Impersonate-User, Impersonate-Group, X-Forwarded-For, Authorization",
    "X-Forwarded-For", "10.9.9.9",
    "X-Remote-User", "admin",
    "Forwarded", "for=10.9.9.9",
    "X-Custom", "kept",
  ]);
  assert.equal(reply.status, 200);
  const r = last();
  assert.deepEqual(r.values("impersonate-user"), [ALICE.username]);
  assert.deepEqual(r.values("impersonate-group"), ["devs", "ops team"]);
  assert.deepEqual(r.values("x-forwarded-for"), ["127.0.0.1"]);
  assert.deepEqual(r.values("x-remote-user"), []);
  assert.deepEqual(r.values("forwarded"), []);
  assert.deepEqual(r.values("authorization"), []);
  assert.deepEqual(r.values("x-custom"), ["kept"]);
});

test("headers named in Connection are dropped, not forwarded", async () => {
  await send(h, "/api/v1/pods", ["Authorization", "Bearer alice-token", "Connection", "X-Secret-Hop", "X-Secret-Hop", "1"]);
  assert.deepEqual(last().values("x-secret-hop"), []);
});

test("request bodies are forwarded", async () => {
  h.upstream.route("/api/v1/namespaces/default/configmaps", async (req, res) => {
    let body = "";
    for await (const c of req) body += c;
    res.writeHead(201, { "content-type": "application/json" }).end(body);
  });
  const body = JSON.stringify({ kind: "ConfigMap", metadata: { name: "x" } });
  const reply = await send(h, "/api/v1/namespaces/default/configmaps", ["Authorization", "Bearer alice-token", "Content-Type", "application/json"], { method: "POST", body });
  assert.equal(reply.status, 201);
  assert.equal(reply.text, body);
});

test("upstream statuses and headers come back as they are", async () => {
  h.upstream.route("/api/v1/namespaces/default/secrets", (_req, res) => {
    res.writeHead(404, { "content-type": "application/json", "audit-id": "abc", "x-custom": "1" })
      .end(JSON.stringify({ kind: "Status", code: 404, reason: "NotFound" }));
  });
  const reply = await send(h, "/api/v1/namespaces/default/secrets/nope", ["Authorization", "Bearer alice-token"]);
  assert.equal(reply.status, 404);
  assert.equal(reply.headers["audit-id"], "abc");
  assert.equal(reply.json()["reason"], "NotFound");
});

test("an oversized header block is a 431 Status and the proxy keeps serving", async () => {
  const reply = await send(h, "/api/v1/pods", ["Authorization", "Bearer alice-token", "X-Big", "a".repeat(20_000)]);
  assert.equal(reply.status, 431);
  assert.equal(reply.json()["kind"], "Status");
  assert.equal(reply.json()["code"], 431);
  assert.equal((await send(h, "/api", ["Authorization", "Bearer alice-token"])).status, 200);
});
