import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { connect, type TLSSocket } from "node:tls";
import { once } from "node:events";
import { WebSocket } from "ws";
import { startHarness, ALICE, UNAUTHORIZED, type Harness } from "./proxy-harness.ts";
import { KEEPALIVE_TIMER, tcpTimers } from "../tools/tcp-timers.ts";

let h: Harness;
before(async () => { h = await startHarness(); });
after(() => h.close());

const EXEC = "/api/v1/namespaces/default/pods/web-0/exec?command=sh&stdin=true&stdout=true";

/** Opens a TLS connection, writes an HTTP/1.1 request head and reads the response head. */
async function rawUpgrade(headers: string[]): Promise<{ socket: TLSSocket; head: string; rest: Buffer }> {
  const socket = connect({ host: "127.0.0.1", port: h.port, ca: h.caPem, ALPNProtocols: ["http/1.1"] });
  await once(socket, "secureConnect");
  socket.write(`POST ${EXEC} HTTP/1.1\r\nHost: 127.0.0.1\r\n${headers.join("\r\n")}\r\n\r\n`);
  let buf = Buffer.alloc(0);
  while (!buf.includes("\r\n\r\n")) {
    const [chunk] = await once(socket, "data");
    buf = Buffer.concat([buf, chunk as Buffer]);
  }
  const end = buf.indexOf("\r\n\r\n") + 4;
  return { socket, head: buf.subarray(0, end).toString("latin1"), rest: buf.subarray(end) };
}

async function readAtLeast(socket: TLSSocket, n: number, initial: Buffer = Buffer.alloc(0)): Promise<string> {
  let buf: Buffer = initial;
  while (buf.length < n) buf = Buffer.concat([buf, (await once(socket, "data"))[0] as Buffer]);
  return buf.toString();
}

async function gauge(): Promise<string> {
  return h.metrics.registry.getSingleMetricAsString("kubeward_proxy_long_running_requests");
}

test("a SPDY/3.1 exec upgrade is relayed with the user's identity and carries bytes both ways", { timeout: 10_000 }, async () => {
  const { socket, head, rest } = await rawUpgrade([
    "Authorization: Bearer alice-token", "Connection: Upgrade", "Upgrade: SPDY/3.1",
    "X-Stream-Protocol-Version: v4.channel.k8s.io", "X-Stream-Protocol-Version: v3.channel.k8s.io",
  ]);
  assert.match(head, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
  assert.match(head, /X-Stream-Protocol-Version: v4\.channel\.k8s\.io\r\n/);
  socket.write("hello from kubectl");
  assert.equal(await readAtLeast(socket, 18, rest), "hello from kubectl");
  const up = h.upstream.upgrades.at(-1);
  assert.equal(up?.protocol, "spdy");
  assert.equal(up?.clientCN, "kubeward-proxy");
  assert.deepEqual(up?.values("impersonate-user"), [ALICE.username]);
  assert.deepEqual(up?.values("authorization"), []);
  assert.deepEqual(up?.values("x-stream-protocol-version"), ["v4.channel.k8s.io", "v3.channel.k8s.io"]);
  assert.match(await gauge(), /class="exec"\} 1/);
  socket.end();
  await once(socket, "close");
  await waitFor(async () => /class="exec"\} 0/.test(await gauge()));
  assert.ok(h.logs().some((l) => l["upgrade"] === true && l["code"] === 101 && l["class"] === "exec"));
});

test("an idle exec is watched by TCP keep-alive on both of the proxy's connections, so a vanished peer does not hold it open", { timeout: 10_000 }, async () => {
  const { socket } = await rawUpgrade([
    "Authorization: Bearer alice-token", "Connection: Upgrade", "Upgrade: SPDY/3.1", "X-Stream-Protocol-Version: v4.channel.k8s.io",
  ]);
  const upstreamPort = Number(new URL(h.upstream.url).port);
  const timers = await tcpTimers();
  const toClient = timers.find((t) => t.local === h.port && t.remote === socket.localPort);
  assert.equal(toClient?.timer, KEEPALIVE_TIMER, "the client's connection has a keep-alive timer");
  assert.ok((toClient?.seconds ?? Infinity) <= 180, `first probe within 3 minutes (${toClient?.seconds} s)`);
  // The upgrade's own connection to kube-apiserver (the pool's idle ones probe after 60 s).
  assert.ok(timers.some((t) => t.remote === upstreamPort && t.timer === KEEPALIVE_TIMER && t.seconds <= 30), "the upstream connection has a 30 s keep-alive timer");
  socket.destroy();
});

test("a WebSocket v5 upgrade authenticates with the bearer subprotocol, which is stripped before forwarding", { timeout: 10_000 }, async () => {
  const tokenProtocol = `base64url.bearer.authorization.k8s.io.${Buffer.from("alice-token").toString("base64url")}`;
  const ws = new WebSocket(`wss://127.0.0.1:${h.port}${EXEC}`, ["v5.channel.k8s.io", tokenProtocol, "v4.channel.k8s.io"], { ca: h.caPem });
  await once(ws, "open");
  assert.equal(ws.protocol, "v5.channel.k8s.io");
  const up = h.upstream.upgrades.at(-1);
  assert.equal(up?.protocol, "websocket");
  assert.deepEqual(up?.values("sec-websocket-protocol"), ["v5.channel.k8s.io, v4.channel.k8s.io"]);
  assert.deepEqual(up?.values("impersonate-user"), [ALICE.username]);
  ws.send(Buffer.from([0, 104, 105]));
  const [echo] = await once(ws, "message");
  assert.deepEqual([...(echo as Buffer)], [0, 104, 105]);
  ws.close();
  await once(ws, "close");
});

test("when the upstream drops an upgraded connection, the client's connection is torn down too", { timeout: 10_000 }, async () => {
  const { socket } = await rawUpgrade(["Authorization: Bearer alice-token", "Connection: Upgrade", "Upgrade: SPDY/3.1"]);
  socket.on("error", () => {});
  const closed = once(socket, "close");
  h.upstream.dropUpgrades();
  await closed;
  await waitFor(async () => /class="exec"\} 0/.test(await gauge()));
});

test("a client that leaves while its upgrade is being authorized leaves nothing open upstream", { timeout: 10_000 }, async () => {
  let reviewed = () => {};
  const reviewing = new Promise<void>((r) => { reviewed = r; });
  h.upstream.setReviewer(async () => {
    await new Promise((r) => setTimeout(r, 150));
    reviewed();
    return { allowed: true };
  });
  const socket = connect({ host: "127.0.0.1", port: h.port, ca: h.caPem, ALPNProtocols: ["http/1.1"] });
  socket.on("error", () => {});
  await once(socket, "secureConnect");
  socket.write(`POST ${EXEC} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer alice-token\r\nImpersonate-User: bob\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n\r\n`);
  await new Promise((r) => setTimeout(r, 30));
  socket.destroy();
  await reviewing;
  await waitFor(async () => h.upstream.openUpgrades() === 0 && /class="exec"\} 0/.test(await gauge()));
  h.upstream.setReviewer(() => ({ allowed: false }));
});

test("a WebSocket upgrade without a token gets the 401 Status", async () => {
  const ws = new WebSocket(`wss://127.0.0.1:${h.port}${EXEC}`, ["v5.channel.k8s.io"], { ca: h.caPem });
  ws.on("error", () => {});
  const [, res] = await once(ws, "unexpected-response");
  let body = "";
  for await (const c of res) body += c;
  assert.equal(res.statusCode, 401);
  assert.deepEqual(JSON.parse(body), UNAUTHORIZED);
  ws.terminate();
});

test("an upgrade with denied client impersonation gets the 403 Status and never reaches the upstream", async () => {
  h.upstream.setReviewer(() => ({ allowed: false }));
  const before = h.upstream.upgrades.length;
  const { socket, head, rest } = await rawUpgrade(["Authorization: Bearer alice-token", "Impersonate-User: bob", "Connection: Upgrade", "Upgrade: SPDY/3.1"]);
  assert.match(head, /^HTTP\/1\.1 403 Forbidden\r\n/);
  let body = rest.toString();
  for await (const c of socket) body += c;
  assert.match(JSON.parse(body)["message"], /^users "bob" is forbidden: User "alice@example\.com" cannot impersonate/);
  assert.equal(h.upstream.upgrades.length, before);
});

test("an upgrade the upstream refuses is relayed as the upstream answered", async () => {
  const refusal = JSON.stringify({ kind: "Status", apiVersion: "v1", status: "Failure", message: "pods \"web-0\" is forbidden", reason: "Forbidden", code: 403 });
  h.upstream.refuseUpgrades(403, refusal);
  const { socket, head, rest } = await rawUpgrade(["Authorization: Bearer alice-token", "Connection: Upgrade", "Upgrade: SPDY/3.1"]);
  assert.match(head, /^HTTP\/1\.1 403 Refused\r\n/);
  assert.match(head, /Content-Type: application\/json\r\n/);
  let body = rest.toString();
  for await (const c of socket) body += c;
  assert.equal(body, refusal);
});

async function waitFor(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail("condition not reached");
}
