/**
 * Key lifecycle over real HTTPS: rotation, refetch flooding, issuer outages,
 * readiness, discovery variants, several issuers, and cache expiry at exp.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync, randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { isKubewardError, type ErrorCode } from "../../src/errors.ts";
import type { OidcIssuerConfig } from "../../src/config/types.ts";
import type { TokenAuthenticator } from "../../src/auth/authenticator.ts";
import { createAuthenticator, type AuthenticatorOptions } from "../../src/auth/create-authenticator.ts";
import type { Clock } from "../../src/clock.ts";
import { systemClock } from "../../src/clock.ts";
import { createLogger } from "../../src/log/logger.ts";
import { Metrics } from "../../src/metrics/metrics.ts";
import { issuerConfigFor, startTestIssuer, type TestIssuer, type TestIssuerOptions } from "../tools/test-issuer.ts";

type Ctx = { after(fn: () => unknown): void };

async function issuerFor(t: Ctx, options: TestIssuerOptions = {}): Promise<TestIssuer> {
  const issuer = await startTestIssuer(options);
  t.after(() => issuer.stop());
  return issuer;
}

function authFor(t: Ctx, configs: OidcIssuerConfig[], options: AuthenticatorOptions = {}, clock: Clock = systemClock): TokenAuthenticator {
  const a = createAuthenticator(configs, { clock, logger: createLogger({ level: "silent" }), metrics: new Metrics() }, options);
  t.after(() => a.close());
  return a;
}

async function refused(p: Promise<unknown>, code: ErrorCode): Promise<void> {
  await assert.rejects(p, (e: unknown) => isKubewardError(e) && e.code === code);
}

async function eventually(check: () => boolean, withinMs: number): Promise<number> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > withinMs) assert.fail(`condition not met within ${withinMs} ms`);
    await sleep(20);
  }
  return Date.now() - start;
}

test("rotation: a new signing key works within 2 s, and 100 unknown-kid tokens at once cost at most two JWKS fetches", async (t) => {
  const issuer = await issuerFor(t);
  const authn = authFor(t, [issuerConfigFor(issuer)]);
  await authn.start();
  const fetchesBefore = issuer.jwksFetchCount();
  issuer.rotate();
  const bogus = Array.from({ length: 100 }, () => issuer.mint({}, { key: "unpublished", header: { kid: `bogus-${randomUUID()}` } }));
  const started = Date.now();
  const [fresh, ...results] = await Promise.allSettled([authn.authenticate(issuer.mint({ sub: "rotated" })), ...bogus.map((b) => authn.authenticate(b))]);
  assert.equal(fresh?.status, "fulfilled", "a token signed with the new key is accepted");
  assert.ok(Date.now() - started < 2_000, `accepted after ${Date.now() - started} ms`);
  assert.ok(results.every((r) => r.status === "rejected" && isKubewardError(r.reason, "token_unknown_key")));
  const fetches = issuer.jwksFetchCount() - fetchesBefore;
  assert.ok(fetches >= 1 && fetches <= 2, `${fetches} JWKS fetches`);
});

test("outage: while the issuer is down, known keys keep working and ready() stays true", async (t) => {
  const issuer = await issuerFor(t);
  const authn = authFor(t, [issuerConfigFor(issuer)], { jwksMinRefetchIntervalMs: 50, jwksRefreshIntervalMs: 50 });
  await authn.start();
  issuer.setDown(true);
  await sleep(150);
  assert.equal(authn.ready(), true);
  assert.equal((await authn.authenticate(issuer.mint({ sub: "during-outage" }))).user.username, `${issuer.url}#during-outage`);
  await refused(authn.authenticate(issuer.mint({}, { key: "unpublished" })), "token_unknown_key");
});

test("not ready until the issuer first answers: tokens are refused as authenticator_not_ready, then accepted", async (t) => {
  const issuer = await issuerFor(t);
  issuer.setDown(true);
  const authn = authFor(t, [issuerConfigFor(issuer)], { initRetryMinMs: 50, initRetryMaxMs: 100 });
  await authn.start();
  assert.equal(authn.ready(), false);
  const token = issuer.mint({ sub: "patient" });
  await refused(authn.authenticate(token), "authenticator_not_ready");
  await sleep(200);
  assert.ok(issuer.discoveryFetchCount() >= 2, "discovery is retried");
  issuer.setDown(false);
  await eventually(() => authn.ready(), 1_000);
  assert.equal((await authn.authenticate(token)).user.username, `${issuer.url}#patient`);
});

test("a discovery document that names another issuer never makes the authenticator ready", async (t) => {
  const issuer = await issuerFor(t, { discoveryIssuer: "https://impostor.example" });
  const authn = authFor(t, [issuerConfigFor(issuer)], { initRetryMinMs: 30, initRetryMaxMs: 60 });
  await authn.start();
  await sleep(200);
  assert.equal(authn.ready(), false);
  assert.ok(issuer.discoveryFetchCount() >= 2);
  assert.equal(issuer.jwksFetchCount(), 0, "keys are never fetched from an issuer that failed discovery");
});

test("TLS trusts only the configured CA: another CA's issuer is never reached", async (t) => {
  const issuer = await issuerFor(t);
  const other = await issuerFor(t);
  const authn = authFor(t, [issuerConfigFor(issuer, { caPem: other.caPem })], { initRetryMinMs: 30, initRetryMaxMs: 60 });
  await authn.start();
  await sleep(100);
  assert.equal(authn.ready(), false);
  assert.equal(issuer.discoveryFetchCount(), 0);
});

test("discoveryUrl is used for discovery when set", async (t) => {
  const issuer = await issuerFor(t, { issuerPath: "/realms/dev" });
  const authn = authFor(t, [issuerConfigFor(issuer, { discoveryUrl: issuer.altDiscoveryUrl })]);
  await authn.start();
  assert.equal(authn.ready(), true);
  assert.equal((await authn.authenticate(issuer.mint({ sub: "d" }))).user.username, `${issuer.url}#d`);
});

test("several issuers: each token is verified by the issuer its iss names, with that issuer's mapping", async (t) => {
  const one = await issuerFor(t, { alg: "ES256" });
  const two = await issuerFor(t, { alg: "PS256", audience: "cluster-b" });
  const authn = authFor(t, [
    issuerConfigFor(one, { usernamePrefix: "one:" }),
    issuerConfigFor(two, { usernamePrefix: "two:", usernameClaim: "email", groupsPrefix: "b:" }),
  ], { jwksMinRefetchIntervalMs: 100 });
  await authn.start();
  assert.equal((await authn.authenticate(one.mint({ sub: "a" }))).user.username, "one:a");
  const b = await authn.authenticate(two.mint({ email: "b@example.com", groups: ["x"] }));
  assert.deepEqual([b.user.username, b.user.groups, b.issuer], ["two:b@example.com", ["b:x"], two.url]);
  await refused(authn.authenticate(two.mint({ iss: one.url, aud: one.audience })), "token_unknown_key");
  await refused(authn.authenticate(one.mint({ iss: "https://unknown.example" })), "token_issuer_mismatch");
});

test("with a frozen clock, a cached token is accepted until its exp and refused as expired after", async (t) => {
  const clock = { t: Date.now(), now() { return this.t; } };
  const issuer = await issuerFor(t, { now: () => clock.now() });
  const authn = authFor(t, [issuerConfigFor(issuer)], {}, clock);
  await authn.start();
  const exp = Math.floor(clock.t / 1000) + 30;
  const token = issuer.mint({ exp });
  await authn.authenticate(token);
  clock.t = exp * 1000;
  await authn.authenticate(token);
  clock.t = exp * 1000 + 1;
  await refused(authn.authenticate(token), "token_expired");
});

test("the background refresh fetches the JWKS periodically and stops at close()", async (t) => {
  const issuer = await issuerFor(t);
  const authn = authFor(t, [issuerConfigFor(issuer)], { jwksRefreshIntervalMs: 40 });
  await authn.start();
  await eventually(() => issuer.jwksFetchCount() >= 3, 1_000);
  authn.close();
  const count = issuer.jwksFetchCount();
  await sleep(120);
  assert.equal(issuer.jwksFetchCount(), count);
});

test("encryption and symmetric keys in the issuer's JWKS are never used to verify", async (t) => {
  const encKey = { ...generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey.export({ format: "jwk" }), kid: "enc-1", use: "enc" };
  const issuer = await issuerFor(t, { extraJwks: [encKey, { kty: "oct", k: "c2VjcmV0", kid: "hmac-1" }] });
  const authn = authFor(t, [issuerConfigFor(issuer)], { jwksMinRefetchIntervalMs: 50 });
  await authn.start();
  await authn.authenticate(issuer.mint({ sub: "fine" }));
  await refused(authn.authenticate(issuer.mint({}, { key: "unpublished", header: { kid: "enc-1" } })), "token_unknown_key");
  await refused(authn.authenticate(issuer.mint({}, { attack: "hs256-public-key", header: { kid: "hmac-1" } })), "token_alg_not_allowed");
});
