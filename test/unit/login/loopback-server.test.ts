import { test } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer } from "node:net";
import { startLoopbackServer } from "../../../src/login/loopback-server.ts";
import { ConfigError } from "../../../src/config/errors.ts";

test("a redirect that arrives before anyone waits is kept; the browser gets the outcome page", async () => {
  const server = await startLoopbackServer([{ host: "127.0.0.1", port: 0 }]);
  try {
    const early = fetch(`http://127.0.0.1:${server.port}/?code=abc&state=s1`);
    await new Promise((r) => setTimeout(r, 100));
    const cb = await server.callback(AbortSignal.timeout(2_000));
    assert.equal(cb.pathAndQuery, "/?code=abc&state=s1");
    cb.respond(true, "You are <logged> in.");
    const res = await early;
    assert.equal(res.status, 200);
    assert.match(await res.text(), /<h1>Logged in<\/h1><p>You are &lt;logged&gt; in\.<\/p>/);
  } finally {
    await server.close();
  }
});

test("requests without code or error are 404 and do not end the wait", async () => {
  const server = await startLoopbackServer([{ host: "127.0.0.1", port: 0 }]);
  try {
    assert.equal((await fetch(`http://127.0.0.1:${server.port}/favicon.ico`)).status, 404);
    const waiting = server.callback(AbortSignal.timeout(2_000));
    const denied = fetch(`http://127.0.0.1:${server.port}/?error=access_denied&state=s`);
    const cb = await waiting;
    cb.respond(false, "denied");
    assert.equal((await denied).status, 400);
  } finally {
    await server.close();
  }
});

test("the first free address is used; none free names --listen-address", async () => {
  const busy = createServer().listen(0, "127.0.0.1");
  await once(busy, "listening");
  const port = (busy.address() as { port: number }).port;
  try {
    const server = await startLoopbackServer([{ host: "127.0.0.1", port }, { host: "127.0.0.1", port: 0 }]);
    assert.notEqual(server.port, port);
    await server.close();
    await assert.rejects(startLoopbackServer([{ host: "127.0.0.1", port }]), (e) => e instanceof ConfigError && e.problems[0]?.path === "--listen-address" && e.problems[0].message === `no address could be bound: 127.0.0.1:${port} (EADDRINUSE)`);
  } finally {
    busy.close();
  }
});

test("a wait ends when its signal aborts", async () => {
  const server = await startLoopbackServer([{ host: "127.0.0.1", port: 0 }]);
  try {
    await assert.rejects(server.callback(AbortSignal.timeout(50)), (e: Error) => e.name === "TimeoutError");
  } finally {
    await server.close();
  }
});
