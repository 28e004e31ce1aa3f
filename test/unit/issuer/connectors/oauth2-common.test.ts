/** The shared OAuth2 plumbing: Link parsing, callback checks, token answers in JSON or form, the group policy. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { isKubewardError } from "../../../../src/errors.ts";
import { ConfigError } from "../../../../src/config/errors.ts";
import { createLogger } from "../../../../src/log/logger.ts";
import { openConnector } from "../../../../src/issuer/connectors/registry.ts";
import { nextLink, statusError, upstreamHttp } from "../../../../src/issuer/connectors/oauth2-common/upstream-http.ts";
import { authorizationRequest, callbackCode } from "../../../../src/issuer/connectors/oauth2-common/flow.ts";
import { redeemCode, redeemRefreshToken, type TokenEndpoint } from "../../../../src/issuer/connectors/oauth2-common/tokens.ts";
import { applyGroupPolicy } from "../../../../src/issuer/connectors/oauth2-common/groups.ts";

const clock = { now: () => 1_000_000 };
const ep: TokenEndpoint = { url: "https://idp.test/token", clientID: "a b", clientSecret: "s:é", auth: "basic" };

function answering(body: string, type: string, status = 200, seen: RequestInit[] = []) {
  return upstreamHttp({}, ((_url: string, init: RequestInit) => { seen.push(init); return Promise.resolve(new Response(body, { status, headers: { "content-type": type } })); }) as typeof fetch);
}

test("nextLink finds rel=next among several links, and nothing on the last page", () => {
  const header = '<https://api.github.com/user/teams?page=3>; rel="last", <https://api.github.com/user/teams?page=2>; rel="next"';
  assert.equal(nextLink(header), "https://api.github.com/user/teams?page=2");
  assert.equal(nextLink('<https://x/?page=1>; rel="first", <https://x/?page=1>; rel="prev"'), undefined);
  assert.equal(nextLink(null), undefined);
});

test("the authorization URL carries state and an S256 challenge of the saved verifier", () => {
  const { url, saved } = authorizationRequest("https://idp.test/auth?tenant=x", { client_id: "c", scope: "a b" }, "st", true);
  const u = new URL(url);
  assert.equal(u.searchParams.get("tenant"), "x");
  assert.equal(u.searchParams.get("code_challenge"), createHash("sha256").update(saved["verifier"] ?? "").digest("base64url"));
  assert.deepEqual(authorizationRequest("https://idp.test/auth", {}, "st", false).saved, { state: "st" });
});

test("callbackCode: the code when state matches; refusal on error=; invalid on a wrong or missing state", () => {
  const saved = { state: "abc" };
  assert.equal(callbackCode("p", new URL("https://k/cb?code=c1&state=abc"), saved), "c1");
  assert.throws(() => callbackCode("p", new URL("https://k/cb?code=c1&state=abd"), saved), (e) => isKubewardError(e, "connector_callback_invalid"));
  assert.throws(() => callbackCode("p", new URL("https://k/cb?code=c1"), saved), (e) => isKubewardError(e, "connector_callback_invalid"));
  assert.throws(() => callbackCode("p", new URL("https://k/cb?error=access_denied&state=abc"), saved), (e) => isKubewardError(e, "connector_refused"));
});

test("token answers: JSON, form-encoded, and errors with any status; Basic credentials are form-encoded first", async () => {
  const seen: RequestInit[] = [];
  const json = await redeemCode(answering('{"access_token":"at","refresh_token":"rt","expires_in":60}', "application/json", 200, seen), ep, clock, "p", "c", "https://k/cb", "v");
  assert.deepEqual(json, { accessToken: "at", refreshToken: "rt", expiresAt: 1_060_000 });
  assert.equal((seen[0]?.headers as Record<string, string>)["authorization"], `Basic ${Buffer.from("a+b:s%3A%C3%A9").toString("base64")}`);
  assert.match(String(seen[0]?.body), /code_verifier=v/);
  const form = await redeemCode(answering("access_token=at2&scope=user%3Aemail&token_type=bearer", "application/x-www-form-urlencoded"), ep, clock, "p", "c", "https://k/cb");
  assert.deepEqual(form, { accessToken: "at2", scope: "user:email" });
  await assert.rejects(redeemCode(answering('{"error":"bad_verification_code"}', "application/json"), ep, clock, "p", "c", "x"), (e) => isKubewardError(e, "connector_callback_invalid"));
  await assert.rejects(redeemRefreshToken(answering('{"error":"invalid_grant"}', "application/json", 400), ep, clock, "p", "r"), (e) => isKubewardError(e, "connector_refused"));
  await assert.rejects(redeemCode(answering("<html>", "text/html", 503), ep, clock, "p", "c", "x"), (e) => isKubewardError(e, "connector_unavailable"));
  assert.deepEqual(await redeemRefreshToken(answering('{"access_token":"a2"}', "application/json"), ep, clock, "p", "old"), { accessToken: "a2", refreshToken: "old" });
});

test("the group policy refuses outsiders and keeps only allowed groups when asked", () => {
  assert.deepEqual(applyGroupPolicy("p", "u", ["a", "b"], { keepOnlyAllowed: true }), ["a", "b"]);
  assert.deepEqual(applyGroupPolicy("p", "u", ["a", "b"], { allowed: ["b", "c"], keepOnlyAllowed: true }), ["b"]);
  assert.deepEqual(applyGroupPolicy("p", "u", ["a", "b"], { allowed: ["b"], keepOnlyAllowed: false }), ["a", "b"]);
  assert.throws(() => applyGroupPolicy("p", "u", ["a"], { allowed: ["b"], keepOnlyAllowed: true }), (e) => isKubewardError(e, "connector_refused"));
});

test("each OAuth2 connector type opens through the registry with its minimal config, and a bad field is named", async () => {
  const deps = { clock, logger: createLogger({ level: "silent" }), fetch: globalThis.fetch };
  const client = { clientID: "id", clientSecret: "secret" };
  const minimal: Record<string, object> = {
    github: client, gitlab: client, microsoft: client, google: client,
    oauth: { ...client, authorizationURL: "https://idp.test/a", tokenURL: "https://idp.test/t", userInfoURL: "https://idp.test/u" },
  };
  for (const [type, config] of Object.entries(minimal)) {
    const c = await openConnector({ type, id: type, name: type, config }, deps);
    assert.equal(c.type, type);
    await c.close();
    await assert.rejects(openConnector({ type, id: type, name: type, config: { ...config, redirectURI: "ftp://x" } }, deps, { path: "connectors[3]" }),
      (e) => e instanceof ConfigError && e.lines()[0] === `kubeward: connectors[3].config.redirectURI: must be an http(s) URL (got "ftp://x")`);
  }
});

test("statusError: 5xx and rate limits (429, GitHub's 403 with no requests left) are outages; 401 and 403 are refusals", async () => {
  const code = async (status: number, headers: Record<string, string> = {}) => (await statusError("p", "GET /x", new Response("body", { status, headers }))).code;
  assert.deepEqual(
    [await code(502), await code(429), await code(403, { "x-ratelimit-remaining": "0" }), await code(403, { "x-ratelimit-remaining": "12" }), await code(401), await code(404)],
    ["connector_unavailable", "connector_unavailable", "connector_unavailable", "connector_refused", "connector_refused", "connector_unavailable"],
  );
});
