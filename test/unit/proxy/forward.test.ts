import { test } from "node:test";
import assert from "node:assert/strict";
import { PassThrough, Writable } from "node:stream";
import { forward, type ClientResponse } from "../../../src/proxy/stages/forward.ts";
import type { Upstream } from "../../../src/proxy/upstream.ts";

/** An upstream whose pool answers with `body` and records what it was asked. */
function fakeUpstream(contentType: string, body: PassThrough, seen: Record<string, unknown>[] = []): Upstream {
  return {
    origin: "https://kube.test", basePath: "/prefix", tls: {}, headersTimeoutMs: 1_000,
    credentialHeaders: async () => ["Authorization", "Bearer proxy"],
    requestJson: async () => ({ statusCode: 200, body: undefined }),
    close: async () => {},
    pool: {
      request: async (opts: Record<string, unknown>) => {
        seen.push(opts);
        return { statusCode: 200, headers: { "content-type": contentType, connection: "keep-alive" }, body };
      },
    } as unknown as Upstream["pool"],
  };
}

function fakeResponse(): ClientResponse & { head: unknown[]; text(): string } {
  const chunks: Buffer[] = [];
  const res = new Writable({ write(c: Buffer, _e, cb) { chunks.push(c); cb(); } }) as unknown as ClientResponse & { head: unknown[]; text(): string };
  Object.assign(res, {
    head: [], headersSent: false,
    writeHead(code: number, headers: unknown) { res.head.push(code, headers); },
    text: () => Buffer.concat(chunks).toString(),
  });
  return res;
}

const request = (longRunning: boolean) => ({
  method: "GET", target: "/api/v1/pods?watch=1", headers: ["Impersonate-User", "alice"], body: null,
  signal: new AbortController().signal, longRunning,
});

test("the request goes to the base path with the proxy's credentials; the head is relayed without hop-by-hop headers", async () => {
  const body = new PassThrough();
  const seen: Record<string, unknown>[] = [];
  const res = fakeResponse();
  const outcome = await forward(fakeUpstream("application/json", body, seen), request(false), res);
  assert.equal(outcome.kind, "responded");
  assert.equal(seen[0]?.["path"], "/prefix/api/v1/pods?watch=1");
  assert.deepEqual(seen[0]?.["headers"], ["Impersonate-User", "alice", "Authorization", "Bearer proxy"]);
  assert.deepEqual(res.head, [200, { "content-type": "application/json" }]);
  body.end("{}");
  assert.equal(outcome.kind === "responded" ? await outcome.done : "failed", undefined);
  assert.equal(res.text(), "{}");
});

test("ending a JSON watch waits for the event in progress to complete", async () => {
  const body = new PassThrough();
  const res = fakeResponse();
  const outcome = await forward(fakeUpstream("application/json", body), request(true), res);
  assert.ok(outcome.kind === "responded");
  body.write(`{"type":"ADDED"}\n{"type":"MOD`);
  await new Promise((r) => setImmediate(r));
  outcome.end();
  assert.equal(res.writableEnded, false, "not ended mid-event");
  body.write(`IFIED"}\n`);
  await new Promise((r) => setImmediate(r));
  assert.equal(res.writableEnded, true);
  assert.equal(res.text(), `{"type":"ADDED"}\n{"type":"MODIFIED"}\n`);
});

test("ending a stream at an event boundary, or of another encoding, is immediate", async () => {
  for (const [contentType, chunk] of [["application/json", `{"type":"ADDED"}\n`], ["application/vnd.kubernetes.protobuf;stream=watch", "\u0000\u0000\u0000\u0005abcde"]] as const) {
    const body = new PassThrough();
    const res = fakeResponse();
    const outcome = await forward(fakeUpstream(contentType, body), request(true), res);
    assert.ok(outcome.kind === "responded");
    body.write(chunk);
    await new Promise((r) => setImmediate(r));
    outcome.end();
    assert.equal(res.writableEnded, true, contentType);
    assert.equal(body.destroyed, true, "the upstream body is released");
  }
});
