import { test } from "node:test";
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import type { Dispatcher } from "undici";
import { forward, type ClientResponse, type Relay } from "../../../src/proxy/stages/forward.ts";
import type { Upstream } from "../../../src/proxy/upstream.ts";

/** The upstream side of one exchange, driven by the test: body chunks, the end, and whether the proxy aborted it. */
interface FakeBody {
  write(text: string): void;
  end(text?: string): void;
  readonly aborted: boolean;
}

/** An upstream whose pool answers 200 with `contentType` and records what it was asked; `body` drives the answer. */
function fakeUpstream(contentType: string, seen: Record<string, unknown>[] = []): { upstream: Upstream; body: FakeBody } {
  let handler: Dispatcher.DispatchHandler | undefined;
  let aborted = false;
  const controller = {
    aborted: false, paused: false, reason: null,
    abort(reason: Error) {
      if (aborted) return;
      aborted = true;
      handler?.onResponseError?.(controller, reason);
    },
    pause() {}, resume() {},
  } as unknown as Dispatcher.DispatchController;
  const body: FakeBody = {
    write: (text) => { if (!aborted) handler?.onResponseData?.(controller, Buffer.from(text)); },
    end: (text) => {
      if (text !== undefined) body.write(text);
      if (!aborted) handler?.onResponseEnd?.(controller, {});
    },
    get aborted() { return aborted; },
  };
  const upstream: Upstream = {
    origin: "https://kube.test", basePath: "/prefix", tls: {}, headersTimeoutMs: 1_000, retried: () => {},
    credentialHeaders: async () => ["Authorization", "Bearer proxy"],
    streams: { open: async () => undefined, close: () => {} },
    requestJson: async () => ({ statusCode: 200, body: undefined }),
    close: async () => {},
    pool: {
      dispatch: (opts: Record<string, unknown>, h: Dispatcher.DispatchHandler) => {
        seen.push(opts);
        handler = h;
        h.onRequestStart?.(controller, {});
        h.onResponseStart?.(controller, 200, { "content-type": contentType, connection: "keep-alive" });
        return true;
      },
    } as unknown as Upstream["pool"],
  };
  return { upstream, body };
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

/** Settles with what the relay's end listener was called with. */
const doneOf = (relay: Relay) => new Promise((resolve) => relay.whenDone(resolve));

const request = (longRunning: boolean) => ({
  method: "GET", target: "/api/v1/pods?watch=1", headers: ["Impersonate-User", "alice"], body: null, longRunning,
});

test("the request goes to the base path with the proxy's credentials; the head is relayed without hop-by-hop headers", async () => {
  const seen: Record<string, unknown>[] = [];
  const { upstream, body } = fakeUpstream("application/json", seen);
  const res = fakeResponse();
  const outcome = await forward(upstream, request(false), res);
  assert.equal(outcome.kind, "responded");
  assert.equal(seen[0]?.["path"], "/prefix/api/v1/pods?watch=1");
  assert.deepEqual(seen[0]?.["headers"], ["Impersonate-User", "alice", "Authorization", "Bearer proxy"]);
  assert.deepEqual(res.head, [200, { "content-type": "application/json" }]);
  body.end("{}");
  assert.equal(outcome.kind === "responded" ? await doneOf(outcome.relay) : "failed", undefined);
  assert.equal(res.text(), "{}");
});

test("ending a JSON watch waits for the event in progress to complete", async () => {
  const { upstream, body } = fakeUpstream("application/json");
  const res = fakeResponse();
  const outcome = await forward(upstream, request(true), res);
  assert.ok(outcome.kind === "responded");
  body.write(`{"type":"ADDED"}\n{"type":"MOD`);
  outcome.relay.end();
  assert.equal(res.writableEnded, false, "not ended mid-event");
  body.write(`IFIED"}\n`);
  assert.equal(res.writableEnded, true);
  assert.equal(body.aborted, true, "the upstream exchange is released");
  assert.equal(await doneOf(outcome.relay), undefined);
  assert.equal(res.text(), `{"type":"ADDED"}\n{"type":"MODIFIED"}\n`);
});

test("ending a stream at an event boundary, or of another encoding, is immediate", async () => {
  for (const [contentType, chunk] of [["application/json", `{"type":"ADDED"}\n`], ["application/vnd.kubernetes.protobuf;stream=watch", "\u0000\u0000\u0000\u0005abcde"]] as const) {
    const { upstream, body } = fakeUpstream(contentType);
    const res = fakeResponse();
    const outcome = await forward(upstream, request(true), res);
    assert.ok(outcome.kind === "responded");
    body.write(chunk);
    outcome.relay.end();
    assert.equal(res.writableEnded, true, contentType);
    assert.equal(body.aborted, true, "the upstream exchange is released");
  }
});
