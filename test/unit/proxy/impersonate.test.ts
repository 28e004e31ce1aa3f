import { test } from "node:test";
import assert from "node:assert/strict";
import { headerKeyEscape, identityHeaders, upstreamHeaders } from "../../../src/proxy/stages/impersonate.ts";
import { isKubewardError } from "../../../src/errors.ts";

const none = { extraUserHeaders: {} };
const bob = { username: "bob", groups: ["g1", "g2"], extra: {} };

function pairs(raw: readonly string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < raw.length; i += 2) out.push([raw[i] as string, raw[i + 1] as string]);
  return out;
}

test("headerKeyEscape matches client-go: non-token bytes and % as uppercase %XX", () => {
  assert.equal(headerKeyEscape("scopes"), "scopes");
  assert.equal(headerKeyEscape("example.com/team"), "example.com%2Fteam");
  assert.equal(headerKeyEscape("a%b"), "a%25b");
  assert.equal(headerKeyEscape("with space"), "with%20space");
  assert.equal(headerKeyEscape("café"), "caf%C3%A9");
  assert.equal(headerKeyEscape("a:b=c\"d"), "a%3Ab%3Dc%22d");
  assert.equal(headerKeyEscape("!#$&'*+-.^_`|~09AZaz"), "!#$&'*+-.^_`|~09AZaz");
});

test("identity headers: user, one group header per group, uid, escaped extras with raw values", () => {
  const raw = identityHeaders({ user: { username: "Zoë", uid: "u-1", groups: ["a", "b, c"], extra: { "example.com/team": ["x y", "z"] } } },
    { extraUserHeaders: { static: ["s"] }, clientIpExtra: "10.0.0.1" });
  assert.deepEqual(pairs(raw), [
    ["Impersonate-User", Buffer.from("Zoë").toString("latin1")],
    ["Impersonate-Group", "a"], ["Impersonate-Group", "b, c"], ["Impersonate-Uid", "u-1"],
    ["Impersonate-Extra-example.com%2Fteam", "x y"], ["Impersonate-Extra-example.com%2Fteam", "z"],
    ["Impersonate-Extra-static", "s"], ["Impersonate-Extra-remote-client-ip", "10.0.0.1"],
  ]);
});

test("an empty username or a value with control characters is never sent", () => {
  assert.throws(() => identityHeaders({ user: { username: "", groups: [], extra: {} } }, none), (e) => isKubewardError(e, "token_claim_invalid"));
  assert.throws(() => identityHeaders({ user: { username: "a\r\nImpersonate-Group: system:masters", groups: [], extra: {} } }, none),
    (e) => isKubewardError(e, "token_claim_invalid"));
  assert.throws(() => identityHeaders({ user: { username: "a", groups: ["x\u0000"], extra: {} } }, none), (e) => isKubewardError(e, "token_claim_invalid"));
});

test("the client's identity, hop-by-hop and Connection-named headers are dropped; ours are set last", () => {
  const out = upstreamHeaders([
    ":authority", "x", "Host", "proxy", "Authorization", "Bearer t", "Impersonate-User", "admin", "impersonate-group", "system:masters",
    "Impersonate-Extra-x", "y", "X-Remote-User", "admin", "X-Forwarded-For", "1.2.3.4", "X-Forwarded-Proto", "http", "Forwarded", "for=1",
    "Connection", "keep-alive, X-Drop-Me, Impersonate-User", "X-Drop-Me", "1", "Keep-Alive", "5", "TE", "trailers",
    "Transfer-Encoding", "chunked", "Upgrade", "h2c", "Proxy-Authorization", "x", "Expect", "100-continue",
    "Accept", "application/json", "Content-Type", "application/json", "User-Agent", "kubectl",
  ], { user: bob }, { ...none, clientAddress: "127.0.0.1" });
  assert.deepEqual(pairs(out), [
    ["Accept", "application/json"], ["Content-Type", "application/json"], ["User-Agent", "kubectl"],
    ["X-Forwarded-For", "127.0.0.1"], ["Impersonate-User", "bob"], ["Impersonate-Group", "g1"], ["Impersonate-Group", "g2"],
  ]);
});

test("upgrades keep Upgrade and get Connection: Upgrade; WebSocket subprotocols are replaced by the stripped list", () => {
  const out = upstreamHeaders(["Connection", "Upgrade", "Upgrade", "websocket", "Sec-WebSocket-Protocol", "base64url.bearer.authorization.k8s.io.eA, v5.channel.k8s.io", "Sec-WebSocket-Key", "k"],
    { user: bob }, { ...none, upgrade: "websocket", websocketProtocols: ["v5.channel.k8s.io"] });
  const p = pairs(out);
  assert.deepEqual(p.slice(0, 4), [["Sec-WebSocket-Key", "k"], ["Sec-WebSocket-Protocol", "v5.channel.k8s.io"], ["Connection", "Upgrade"], ["Upgrade", "websocket"]]);
  const onlyBearer = upstreamHeaders(["Sec-WebSocket-Protocol", "base64url.bearer.authorization.k8s.io.eA"], { user: bob }, { ...none, websocketProtocols: [] });
  assert.ok(!onlyBearer.some((h) => /sec-websocket-protocol/i.test(h)));
});

test("the proxy's own extras replace values the token or an impersonating client put under the same keys", () => {
  const out = identityHeaders({
    user: { username: "bob", groups: [], extra: { "kubeward.dev/original-user": ["forged"], "remote-client-ip": ["10.6.6.6"], k: ["v"] } },
    impersonator: { username: "alice", groups: [], extra: {} },
  }, { extraUserHeaders: { k: ["static"] }, clientIpExtra: "127.0.0.1" });
  assert.deepEqual(pairs(out).sort(), [
    ["Impersonate-Extra-k", "static"], ["Impersonate-Extra-k", "v"],
    ["Impersonate-Extra-kubeward.dev%2Foriginal-user", "alice"],
    ["Impersonate-Extra-remote-client-ip", "127.0.0.1"],
    ["Impersonate-User", "bob"],
  ]);
});

test("client impersonation records the original user in kubeward.dev extras", () => {
  const out = identityHeaders({ user: { username: "bob", groups: [], extra: {} }, impersonator: { username: "alice", uid: "a1", groups: ["devs"], extra: { k: ["v"] } } }, none);
  assert.deepEqual(pairs(out), [
    ["Impersonate-User", "bob"],
    ["Impersonate-Extra-kubeward.dev%2Foriginal-user", "alice"],
    ["Impersonate-Extra-kubeward.dev%2Foriginal-groups", "devs"],
    ["Impersonate-Extra-kubeward.dev%2Foriginal-uid", "a1"],
  ]);
});

test("a user's headers are built once per configured extras; a failing identity fails every time", () => {
  const extras = { extraUserHeaders: { team: ["x"] } };
  const first = identityHeaders({ user: bob }, extras);
  assert.equal(identityHeaders({ user: bob }, extras), first, "the same user object reuses its headers");
  assert.deepEqual(pairs(identityHeaders({ user: bob }, none)), [["Impersonate-User", "bob"], ["Impersonate-Group", "g1"], ["Impersonate-Group", "g2"]],
    "other configured extras build their own");
  assert.deepEqual(pairs(identityHeaders({ user: bob }, { ...extras, clientIpExtra: "10.0.0.2" })).at(-1), ["Impersonate-Extra-remote-client-ip", "10.0.0.2"]);
  const empty = { username: "", groups: [], extra: {} };
  for (let i = 0; i < 2; i++) assert.throws(() => identityHeaders({ user: empty }, extras), (e) => isKubewardError(e, "token_claim_invalid"));
});
