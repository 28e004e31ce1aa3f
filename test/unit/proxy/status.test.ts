import { test } from "node:test";
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { KubeStatusError, sendStatus, toStatus, writeStatusToSocket } from "../../../src/proxy/status.ts";
import { KubewardError, type ErrorCode } from "../../../src/errors.ts";

test("every authentication refusal is kube-apiserver's exact 401 body, whatever the reason", () => {
  for (const code of ["token_expired", "token_missing", "identity_reserved", "authenticator_not_ready"] as ErrorCode[]) {
    assert.deepEqual(toStatus(new KubewardError(code, "secret detail")), {
      kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message: "Unauthorized", reason: "Unauthorized", code: 401,
    });
  }
});

test("codes map to HTTP status and Kubernetes reasons; detail never leaks", () => {
  const cases: [ErrorCode, number, string | undefined][] = [
    ["impersonation_forbidden", 403, "Forbidden"], ["request_invalid", 400, "BadRequest"], ["request_header_too_large", 431, undefined],
    ["upstream_unavailable", 503, "ServiceUnavailable"], ["upstream_error", 502, "InternalError"], ["upstream_timeout", 504, "Timeout"],
    ["shutting_down", 503, "ServiceUnavailable"], ["internal", 500, "InternalError"],
  ];
  for (const [code, status, reason] of cases) {
    const s = toStatus(new KubewardError(code, "10.0.0.7 said no"));
    assert.equal(s.code, status, code);
    assert.equal(s.reason, reason, code);
    assert.doesNotMatch(JSON.stringify(s), /10\.0\.0\.7/);
  }
});

test("a KubeStatusError keeps its public message and details; a plain Error is an internal error", () => {
  const s = toStatus(new KubeStatusError("impersonation_forbidden", "users \"bob\" is forbidden: …", "d", { name: "bob", group: "", kind: "users" }));
  assert.equal(s.message, "users \"bob\" is forbidden: …");
  assert.deepEqual(s.details, { name: "bob", group: "", kind: "users" });
  assert.deepEqual(toStatus(new TypeError("x is undefined")), {
    kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message: "an internal error occurred", reason: "InternalError", code: 500,
  });
});

test("sendStatus writes JSON with its length; writeStatusToSocket writes a closing HTTP/1.1 response", async () => {
  const calls: unknown[] = [];
  sendStatus({ headersSent: false, writeHead: (c, h) => calls.push(c, h), end: (b) => calls.push(b) }, toStatus(new KubewardError("upstream_timeout")));
  assert.equal(calls[0], 504);
  assert.deepEqual(calls[1], { "content-type": "application/json", "content-length": Buffer.byteLength(calls[2] as string) });
  const socket = new PassThrough();
  writeStatusToSocket(socket, toStatus(new KubewardError("token_missing")));
  const text = (await socket.toArray()).join("");
  assert.match(text, /^HTTP\/1\.1 401 Unauthorized\r\nContent-Type: application\/json\r\nContent-Length: \d+\r\nConnection: close\r\n\r\n\{"kind":"Status"/);
});
