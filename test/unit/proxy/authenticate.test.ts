import { test } from "node:test";
import assert from "node:assert/strict";
import { authenticate, findToken, WEBSOCKET_BEARER_PREFIX } from "../../../src/proxy/stages/authenticate.ts";
import { isKubewardError, KubewardError } from "../../../src/errors.ts";
import { createStubAuthenticator } from "../../tools/stub-authenticator.ts";

const WS = ["Connection", "Upgrade", "Upgrade", "websocket"];
const proto = (token: string) => `${WEBSOCKET_BEARER_PREFIX}${Buffer.from(token).toString("base64url")}`;

test("the Authorization scheme is matched case-insensitively", () => {
  for (const scheme of ["Bearer", "bearer", "BEARER", "bEaReR"]) {
    assert.equal(findToken(["Authorization", `${scheme} tok`]).token, "tok");
  }
  assert.equal(findToken(["authorization", "  Bearer tok  "]).token, "tok");
  assert.equal(findToken(["Authorization", "Bearer tok trailing"]).token, "tok", "kube-apiserver takes the second space-separated part");
});

test("no token, another scheme or an empty bearer is refused with a reason code", () => {
  assert.throws(() => findToken([]), (e) => isKubewardError(e, "token_missing"));
  assert.throws(() => findToken(["Authorization", "Basic YTpi"]), (e) => isKubewardError(e, "token_missing"));
  assert.throws(() => findToken(["Authorization", "Bearer"]), (e) => isKubewardError(e, "token_missing"));
  assert.throws(() => findToken(["Authorization", "Bearer  tok"]), (e) => isKubewardError(e, "token_malformed"));
});

test("a WebSocket upgrade may carry the token as a base64url subprotocol, which is removed from the forwarded list", () => {
  const found = findToken([...WS, "Sec-WebSocket-Protocol", `v5.channel.k8s.io, ${proto("ws-token")}`, "Sec-WebSocket-Protocol", "v4.channel.k8s.io"]);
  assert.equal(found.token, "ws-token");
  assert.deepEqual(found.websocketProtocols, ["v5.channel.k8s.io", "v4.channel.k8s.io"]);
});

test("the subprotocol token counts only on a WebSocket upgrade, but is stripped whenever present", () => {
  assert.throws(() => findToken(["Sec-WebSocket-Protocol", proto("x")]), (e) => isKubewardError(e, "token_missing"));
  const withHeader = findToken(["Authorization", "Bearer header-token", ...WS, "Sec-WebSocket-Protocol", `${proto("x")}, v5.channel.k8s.io`]);
  assert.equal(withHeader.token, "header-token");
  assert.deepEqual(withHeader.websocketProtocols, ["v5.channel.k8s.io"]);
});

test("several or badly encoded subprotocol tokens are malformed", () => {
  assert.throws(() => findToken([...WS, "Sec-WebSocket-Protocol", `${proto("a")}, ${proto("b")}`]), (e) => isKubewardError(e, "token_malformed"));
  assert.throws(() => findToken([...WS, "Sec-WebSocket-Protocol", `${WEBSOCKET_BEARER_PREFIX}YQ==`]), (e) => isKubewardError(e, "token_malformed"));
  assert.throws(() => findToken([...WS, "Sec-WebSocket-Protocol", WEBSOCKET_BEARER_PREFIX]), (e) => isKubewardError(e, "token_malformed"));
});

test("authenticate keeps the authenticator's reason code and turns anything else into internal", async () => {
  const stub = createStubAuthenticator({ good: { username: "u", groups: [], extra: {} }, old: "token_expired" });
  assert.equal((await authenticate(stub, { token: "good", websocketProtocols: undefined })).user.username, "u");
  await assert.rejects(authenticate(stub, { token: "old", websocketProtocols: undefined }), (e) => isKubewardError(e, "token_expired"));
  const broken = { ...stub, authenticate: async () => { throw new TypeError("bug"); } };
  await assert.rejects(authenticate(broken, { token: "x", websocketProtocols: undefined }), (e) => e instanceof KubewardError && e.code === "internal");
});
