/**
 * A revocation ends the revoked user's open connections within 5 s — a watch
 * (HTTP/1.1 and HTTP/2), a WebSocket exec (close 1008) and a SPDY exec —
 * while another user's keep running; and failClosed refuses on a stale list.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { request } from "node:https";
import { connect as connectH2 } from "node:http2";
import { connect, type TLSSocket } from "node:tls";
import { once } from "node:events";
import type { ServerResponse } from "node:http";
import { WebSocket } from "ws";
import { systemClock } from "../../src/clock.ts";
import { openMemoryStorage } from "../../src/issuer/storage/memory/memory-storage.ts";
import type { Storage } from "../../src/issuer/storage/storage.ts";
import { get, startRevocationHarness, within, type RevocationHarness } from "./revocation-harness.ts";

const EXEC = "/api/v1/namespaces/default/pods/web-0/exec?command=sh&stdin=true&stdout=true";
let storage: Storage;
let h: RevocationHarness;
const watches: ServerResponse[] = [];
before(async () => {
  storage = await openMemoryStorage({}, { clock: systemClock });
  h = await startRevocationHarness({ storage });
  h.upstream.route("/api/v1/namespaces/w/pods", (_req, res) => {
    watches.push(res);
    res.writeHead(200, { "content-type": "application/json" });
    res.write(`{"type":"ADDED","object":{"kind":"Pod"}}\n`);
  });
  for (const name of ["kim", "lee", "max", "ned", "oli", "pat"]) {
    h.tokens.set(name, { user: { username: name, groups: [`team-${name}`], extra: {} }, issuedAt: Date.now() - 1_000 });
  }
});
after(async () => {
  for (const w of watches) w.destroy();
  await h.close();
  await storage.close();
});

function watch(token: string): Promise<{ ended: Promise<string> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port: h.port, ca: h.caPem, path: "/api/v1/namespaces/w/pods?watch=true", agent: false, headers: { authorization: `Bearer ${token}` } }, (res) => {
      let body = "";
      const ended = new Promise<string>((done) => {
        res.on("data", (c: Buffer) => { body += c; });
        res.on("end", () => done(`end:${body}`));
        res.on("error", () => done(`error:${body}`));
        res.on("close", () => done(`close:${body}`));
      });
      res.once("data", () => resolve({ ended }));
    });
    req.on("error", reject);
    req.end();
  });
}

async function spdyExec(token: string): Promise<TLSSocket> {
  const socket = connect({ host: "127.0.0.1", port: h.port, ca: h.caPem, ALPNProtocols: ["http/1.1"] });
  await once(socket, "secureConnect");
  socket.write(`POST ${EXEC} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n`);
  const [chunk] = await once(socket, "data");
  assert.match(String(chunk), /^HTTP\/1\.1 101 /);
  socket.on("error", () => {});
  return socket;
}

async function wsExec(token: string): Promise<WebSocket> {
  const ws = new WebSocket(`wss://127.0.0.1:${h.port}${EXEC}`, ["v5.channel.k8s.io"], { ca: h.caPem, headers: { authorization: `Bearer ${token}` } });
  ws.on("error", () => {});
  await once(ws, "open");
  return ws;
}

async function echoes(ws: WebSocket): Promise<boolean> {
  ws.send(Buffer.from([0, 1]));
  const [data] = await once(ws, "message");
  return (data as Buffer).length === 2;
}

test("revoking a user ends their watch; another user's watch keeps streaming", { timeout: 15_000 }, async () => {
  const kim = await watch("kim");
  const lee = await watch("lee");
  await h.service.revoke({ kind: "user", name: "kim", reason: "test", actor: "test" });
  const outcome = await Promise.race([kim.ended, new Promise<string>((r) => setTimeout(() => r("still open"), 5_000))]);
  assert.match(outcome, /^(end|close):\{"type":"ADDED"/);
  const leeState = await Promise.race([lee.ended, new Promise<string>((r) => setTimeout(() => r("still open"), 300))]);
  assert.equal(leeState, "still open");
  assert.equal((await get(h, "/api/v1/pods", "lee")).status, 200);
});

test("a revocation that arrives while kube-apiserver is still answering the watch ends it as soon as it starts", { timeout: 15_000 }, async () => {
  h.tokens.set("quin", { user: { username: "quin", groups: [], extra: {} }, issuedAt: Date.now() - 1_000 });
  let release = () => {};
  const arrived = new Promise<void>((got) => {
    h.upstream.route("/api/v1/namespaces/slow/pods", (_req, res) => {
      got();
      release = () => {
        res.writeHead(200, { "content-type": "application/json" });
        res.write(`{"type":"ADDED","object":{"kind":"Pod"}}\n`);
        watches.push(res);
      };
    });
  });
  const ended = new Promise<string>((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port: h.port, ca: h.caPem, path: "/api/v1/namespaces/slow/pods?watch=true", agent: false, headers: { authorization: "Bearer quin" } }, (res) => {
      res.resume();
      res.on("close", () => resolve("closed"));
    });
    req.on("error", reject);
    req.end();
  });
  await arrived;
  await h.service.revoke({ kind: "user", name: "quin", reason: "test", actor: "test" });
  release();
  assert.equal(await Promise.race([ended, new Promise<string>((r) => setTimeout(() => r("still open"), 5_000))]), "closed");
});

test("revoking a group ends its member's HTTP/2 watch stream", { timeout: 15_000 }, async () => {
  const session = connectH2(`https://127.0.0.1:${h.port}`, { ca: h.caPem });
  try {
    const stream = session.request({ ":path": "/api/v1/namespaces/w/pods?watch=1", authorization: "Bearer pat" });
    const [headers] = await once(stream, "response");
    assert.equal(headers[":status"], 200);
    await once(stream, "data");
    stream.resume();
    const closed = once(stream, "close");
    await h.service.revoke({ kind: "group", name: "team-pat", reason: "test", actor: "test" });
    await Promise.race([closed, new Promise((_, reject) => setTimeout(() => reject(new Error("the HTTP/2 watch stayed open")), 5_000))]);
  } finally {
    session.destroy();
  }
});

test("revoking a user ends their WebSocket exec with close code 1008 and their SPDY exec; another user's keep echoing", { timeout: 15_000 }, async () => {
  const maxWs = await wsExec("max");
  const maxSpdy = await spdyExec("max");
  const nedWs = await wsExec("ned");
  const nedSpdy = await spdyExec("ned");
  assert.ok(await echoes(maxWs));
  const wsClosed = once(maxWs, "close");
  const spdyClosed = once(maxSpdy, "close");
  await h.service.revoke({ kind: "user", name: "max", reason: "test", actor: "test" });
  const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error("max's connections stayed open")), 5_000));
  const [[code, reason]] = await Promise.race([Promise.all([wsClosed, spdyClosed]), timeout]) as [[number, Buffer], unknown];
  assert.equal(code, 1008);
  assert.equal(String(reason), "access revoked");
  assert.ok(await echoes(nedWs), "ned's WebSocket still echoes");
  nedSpdy.write("still here");
  const [echo] = await once(nedSpdy, "data");
  assert.equal(String(echo), "still here");
  nedWs.close();
  nedSpdy.destroy();
});

test("failClosed refuses every request once the list is stale; bestEffort keeps serving", { timeout: 15_000 }, async () => {
  let failing = false;
  const down = (): void => { if (failing) throw new Error("db down"); };
  const flaky: Storage = {
    ...storage,
    revocationStamp: async () => { down(); return storage.revocationStamp(); },
    listRevocations: async () => { down(); return storage.listRevocations(); },
  };
  const strict = await startRevocationHarness({ storage: flaky, upstream: h.upstream, guard: { mode: "failClosed", staleAfterMs: 300, pollIntervalMs: 50 } });
  const lenient = await startRevocationHarness({ storage: flaky, upstream: h.upstream, guard: { mode: "bestEffort", staleAfterMs: 300, pollIntervalMs: 50 } });
  try {
    for (const x of [strict, lenient]) x.tokens.set("oli", { user: { username: "oli", groups: [], extra: {} }, issuedAt: Date.now() });
    assert.equal((await get(strict, "/api/v1/pods", "oli")).status, 200);
    failing = true;
    await within(3_000, async () => (await get(strict, "/api/v1/pods", "oli")).status === 503, "failClosed refuses on a stale list");
    assert.equal((await get(lenient, "/api/v1/pods", "oli")).status, 200);
    const staleness = await strict.metrics.registry.getSingleMetricAsString("kubeward_revocation_list_staleness_seconds");
    assert.ok(Number(staleness.trim().split(" ").at(-1)) >= 0.3, staleness);
    failing = false;
    await within(3_000, async () => (await get(strict, "/api/v1/pods", "oli")).status === 200, "serves again once the list is read");
  } finally {
    await strict.close();
    await lenient.close();
  }
});
