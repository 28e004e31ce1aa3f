/**
 * Token verification end to end: createAuthenticator against a real HTTPS
 * test issuer, one case per rule kube-apiserver applies.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { isKubewardError, type ErrorCode } from "../../src/errors.ts";
import type { OidcIssuerConfig } from "../../src/config/types.ts";
import type { TokenAuthenticator } from "../../src/auth/authenticator.ts";
import { createAuthenticator } from "../../src/auth/create-authenticator.ts";
import { systemClock } from "../../src/clock.ts";
import { createLogger } from "../../src/log/logger.ts";
import { Metrics } from "../../src/metrics/metrics.ts";
import { issuerConfigFor, startTestIssuer, type TestIssuer } from "../tools/test-issuer.ts";

let issuer: TestIssuer;
let metrics: Metrics;
let authn: TokenAuthenticator;
const opened: TokenAuthenticator[] = [];
const now = (): number => Math.floor(Date.now() / 1000);

async function open(overrides: Partial<OidcIssuerConfig> = {}, m = new Metrics()): Promise<TokenAuthenticator> {
  const deps = { clock: systemClock, logger: createLogger({ level: "silent" }), metrics: m };
  const a = createAuthenticator([issuerConfigFor(issuer, overrides)], deps, { jwksMinRefetchIntervalMs: 100 });
  opened.push(a);
  await a.start();
  assert.ok(a.ready(), "ready after start() against a reachable issuer");
  return a;
}

before(async () => {
  issuer = await startTestIssuer();
  issuer.rotate();
  metrics = new Metrics();
  authn = await open({}, metrics);
});
after(async () => {
  for (const a of opened) a.close();
  await issuer.stop();
});

async function refused(token: string, code: ErrorCode, a: TokenAuthenticator = authn): Promise<void> {
  await assert.rejects(a.authenticate(token), (e: unknown) => {
    assert.ok(isKubewardError(e), String(e));
    assert.equal(e.code, code, e.detail);
    return true;
  });
}

test("a valid token maps to the prefixed username, groups, and the jti credential id", async () => {
  const iat = now() - 5;
  const auth = await authn.authenticate(issuer.mint({ sub: "alice", groups: ["dev"], jti: "t-1", iat }));
  assert.deepEqual(auth.user, {
    username: `${issuer.url}#alice`, groups: ["dev"], extra: { "authentication.kubernetes.io/credential-id": ["JTI=t-1"] },
  });
  assert.equal(auth.issuer, issuer.url);
  assert.equal(auth.issuedAt, iat * 1000);
});

test("expired tokens are refused", async () => {
  await refused(issuer.mint({ iat: now() - 700, exp: now() - 1 }), "token_expired");
  await refused(issuer.mint({ exp: undefined }), "token_expired");
});

test("nbf: 30 s ahead is within the 1-minute leeway, 2 minutes ahead is not yet valid", async () => {
  await authn.authenticate(issuer.mint({ nbf: now() + 30 }));
  await refused(issuer.mint({ nbf: now() + 120, exp: now() + 1200 }), "token_not_yet_valid");
});

test("a token for another audience is refused", async () => {
  await refused(issuer.mint({ aud: "someone-else" }), "token_audience_mismatch");
  await authn.authenticate(issuer.mint({ aud: ["someone-else", issuer.audience] }));
});

test("a token naming another issuer is refused", async () => {
  await refused(issuer.mint({ iss: "https://evil.example" }), "token_issuer_mismatch");
  await refused(issuer.mint({ iss: `${issuer.url}/` }), "token_issuer_mismatch");
});

test("alg none and HS256 keyed with the public key are refused before any key is used", async () => {
  await refused(issuer.mint({}, { attack: "alg-none" }), "token_alg_not_allowed");
  await refused(issuer.mint({}, { attack: "hs256-public-key" }), "token_alg_not_allowed");
  const rs256only = await open({ signingAlgs: ["RS256"] });
  await refused(issuer.mint({}, { header: { alg: "PS256" } }), "token_alg_not_allowed", rs256only);
});

test("a tampered payload fails the signature check", async () => {
  await refused(issuer.mint({ sub: "alice" }, { tamper: (c) => ({ ...c, sub: "admin" }) }), "token_signature_invalid");
});

test("a key the issuer does not publish is token_unknown_key; under a published kid it is token_signature_invalid", async () => {
  await refused(issuer.mint({}, { key: "unpublished" }), "token_unknown_key");
  await refused(issuer.mint({}, { key: "unpublished", header: { kid: issuer.currentKid() } }), "token_signature_invalid");
});

test("a token without kid is tried against every published key", async () => {
  const oldKid = issuer.publishedKids()[0] ?? assert.fail("the issuer publishes two keys");
  await authn.authenticate(issuer.mint({ sub: "old" }, { key: oldKid, header: { kid: undefined } }));
  await authn.authenticate(issuer.mint({ sub: "new" }, { header: { kid: undefined } }));
  await refused(issuer.mint({}, { key: "unpublished", header: { kid: undefined } }), "token_signature_invalid");
});

test("required claims must be present and equal", async () => {
  const a = await open({ requiredClaims: { hd: "example.com" } });
  await a.authenticate(issuer.mint({ hd: "example.com" }));
  await refused(issuer.mint({}), "token_claim_missing", a);
  await refused(issuer.mint({ hd: "evil.com" }), "token_claim_mismatch", a);
});

test("email as username: email_verified false or the string \"true\" is refused; absent is accepted", async () => {
  const a = await open({ usernameClaim: "email", usernamePrefix: "" });
  assert.equal((await a.authenticate(issuer.mint({ email: "a@example.com" }))).user.username, "a@example.com");
  assert.equal((await a.authenticate(issuer.mint({ email: "b@example.com", email_verified: true }))).user.username, "b@example.com");
  await refused(issuer.mint({ email: "c@example.com", email_verified: false }), "token_email_unverified", a);
  await refused(issuer.mint({ email: "d@example.com", email_verified: "true" }), "token_email_unverified", a);
});

test("groups: a string is one group, an array is many (prefixed), a number is refused", async () => {
  const a = await open({ groupsPrefix: "oidc:" });
  assert.deepEqual((await a.authenticate(issuer.mint({ groups: "admins" }))).user.groups, ["oidc:admins"]);
  assert.deepEqual((await a.authenticate(issuer.mint({ groups: ["a", "b"] }))).user.groups, ["oidc:a", "oidc:b"]);
  assert.deepEqual((await a.authenticate(issuer.mint({ groups: undefined }))).user.groups, []);
  await refused(issuer.mint({ groups: 42 }), "token_claim_invalid", a);
});

test("the uid claim becomes the uid", async () => {
  const a = await open({ uidClaim: "oid" });
  assert.equal((await a.authenticate(issuer.mint({ oid: "0000-1111" }))).user.uid, "0000-1111");
  await refused(issuer.mint({}), "token_claim_missing", a);
});

test("a token over 16 KiB is token_malformed", async () => {
  await refused(issuer.mint({ pad: "x".repeat(17 * 1024) }), "token_malformed");
});

test("every refusal is counted by reason, an acceptance is left to the caller; a second use of a token is a cache hit", async () => {
  const token = issuer.mint({ sub: "counted" });
  await authn.authenticate(token);
  await authn.authenticate(token);
  await refused(issuer.mint({ aud: "nope" }), "token_audience_mismatch");
  const text = await metrics.registry.metrics();
  assert.doesNotMatch(text, /kubeward_authentication_attempts_total\{result="success"/, "the proxy or admin API counts it after its own checks");
  assert.match(text, /kubeward_authentication_attempts_total\{result="failure",reason="token_audience_mismatch"\} [1-9]/);
  assert.match(text, /kubeward_token_cache_lookups_total\{result="hit"\} [1-9]/);
  assert.match(text, /kubeward_jwks_keys 2/);
});

test("debug logs say why a token was refused and never contain a token", async () => {
  const lines: string[] = [];
  const logger = createLogger({ level: "debug", destination: { write: (s: string) => void lines.push(s) } });
  const a = createAuthenticator([issuerConfigFor(issuer)], { clock: systemClock, logger, metrics: new Metrics() });
  opened.push(a);
  await a.start();
  const good = issuer.mint({ sub: "logged" });
  const bad = issuer.mint({ sub: "x" }, { tamper: (c) => ({ ...c, sub: "root" }) });
  await a.authenticate(good);
  await refused(bad, "token_signature_invalid", a);
  const log = lines.join("");
  assert.match(log, /"reason":"token_signature_invalid"/);
  assert.match(log, /fetched issuer signing keys/);
  for (const t of [good, bad]) for (const part of t.split(".")) assert.ok(!log.includes(part), "a token part reached the log");
});
