/**
 * Refresh tokens: rotation on every use, the grace window for concurrent
 * callers, reuse after it revoking the whole family, idle and absolute
 * lifetimes, and the connector asked again on each refresh.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as client from "openid-client";
import { authorizationRequest, KUBECTL_REDIRECT, skewClock, startIssuerHarness, tokenRequest, type Harness } from "./issuer-harness.ts";
import { formDriver, loginWithPassword } from "./issuer-browserless.ts";

const clock = skewClock();
let h: Harness;
before(async () => {
  h = await startIssuerHarness({ clock, config: { refreshIdleTtlMs: 3_600_000, refreshAbsoluteTtlMs: 8 * 3_600_000 } });
});
after(() => h.close());

async function login(scope = "openid groups offline_access") {
  const rp = await h.rp("kubectl");
  const req = await authorizationRequest(rp, KUBECTL_REDIRECT, scope);
  const landing = await loginWithPassword(formDriver(h.fetch, h.url), req.url.href, "jane", "correct horse");
  assert.ok(landing.redirectedTo);
  const tokens = await client.authorizationCodeGrant(rp, landing.redirectedTo, { pkceCodeVerifier: req.verifier, expectedState: req.state, expectedNonce: req.nonce });
  assert.ok(tokens.refresh_token, "offline_access gives a refresh token");
  return { rp, tokens, refreshToken: tokens.refresh_token };
}

const refresh = (token: string) => tokenRequest(h, { grant_type: "refresh_token", refresh_token: token }, "kubectl");

async function reuseCount(): Promise<number> {
  const metric = await h.registry.getSingleMetric("kubeward_issuer_refresh_reuse_detected_total")?.get();
  return metric?.values[0]?.value ?? 0;
}

describe("refresh tokens", () => {
  test("every refresh rotates the token and carries the user's current groups", async () => {
    const { rp, refreshToken } = await login();
    const jane = h.users.users[0];
    assert.ok(jane);
    jane.groups = ["dev", "ops", "sre"];
    try {
      const first = await client.refreshTokenGrant(rp, refreshToken);
      assert.ok(first.refresh_token);
      assert.notEqual(first.refresh_token, refreshToken);
      assert.deepEqual(first.claims()?.groups, ["dev", "ops", "sre"]);
      const second = await client.refreshTokenGrant(rp, first.refresh_token);
      assert.notEqual(second.refresh_token, first.refresh_token);
      assert.ok(h.users.refreshed.includes("u-jane"), "the connector was asked again");
      assert.deepEqual(h.users.refreshedData.at(-1), { upstreamToken: "upstream-u-jane" }, "with the data it kept at login");
      const stored = JSON.stringify(await h.storage.listRefreshFamilies());
      assert.ok(stored.includes("u-jane") && !stored.includes("upstream-u-jane"), "connector data is sealed at rest");
    } finally {
      jane.groups = ["dev", "ops"];
    }
  });

  test("an old token presented again within the grace window still works (concurrent kubectl calls)", async () => {
    const { refreshToken } = await login();
    const [a, b] = await Promise.all([refresh(refreshToken), refresh(refreshToken)]);
    assert.equal(a.status, 200);
    assert.equal(b.status, 200);
    const again = await refresh(refreshToken);
    assert.equal(again.status, 200, "still inside the 2 s window");
  });

  test("reuse after the grace window is theft: invalid_grant, and the family's newest token dies too", async () => {
    const before = await reuseCount();
    const { refreshToken } = await login();
    const rotated = await refresh(refreshToken);
    assert.equal(rotated.status, 200);
    const newest = String(rotated.body.refresh_token);
    clock.advance(3_000);
    const stolen = await refresh(refreshToken);
    assert.equal(stolen.status, 400);
    assert.equal(stolen.body.error, "invalid_grant");
    const legit = await refresh(newest);
    assert.equal(legit.status, 400);
    assert.equal(legit.body.error, "invalid_grant");
    assert.equal(await reuseCount(), before + 1);
    const families = await h.storage.listRefreshFamilies();
    assert.ok(families.some((f) => f.revoked), "the family is marked revoked in storage");
  });

  test("a connector that refuses the user ends the family", async () => {
    const { refreshToken } = await login();
    const jane = h.users.users[0];
    assert.ok(jane);
    jane.disabled = true;
    try {
      const refused = await refresh(refreshToken);
      assert.equal(refused.body.error, "invalid_grant");
    } finally {
      jane.disabled = false;
    }
    const retried = await refresh(refreshToken);
    assert.equal(retried.body.error, "invalid_grant", "the family stays dead when the user is back");
  });

  test("a token idle longer than the idle lifetime is invalid_grant", async () => {
    const { refreshToken } = await login();
    clock.advance(3_600_000 + 5_000);
    assert.equal((await refresh(refreshToken)).body.error, "invalid_grant");
  });

  test("the family ends at its absolute lifetime even when used all along", async () => {
    let { refreshToken } = await login();
    for (let i = 0; i < 9; i++) {
      clock.advance(55 * 60_000);
      const r = await refresh(refreshToken);
      if (r.status !== 200) {
        assert.equal(r.body.error, "invalid_grant");
        assert.ok(i >= 8, `died after ${i} refreshes, before the 8 h absolute lifetime`);
        return;
      }
      refreshToken = String(r.body.refresh_token);
    }
    assert.fail("the family outlived its absolute lifetime");
  });

  test("a refresh token of another client is invalid_grant", async () => {
    const { refreshToken } = await login();
    const res = await tokenRequest(h, { grant_type: "refresh_token", refresh_token: refreshToken }, "web", "web-secret");
    assert.equal(res.body.error, "invalid_grant");
  });
});

describe("rotated tokens elsewhere", () => {
  test("introspecting a rotated refresh token says inactive and does not end the family", async () => {
    const { refreshToken } = await login();
    const rotated = await refresh(refreshToken);
    const res = await h.fetch(`${h.url}/token/introspection`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: `Basic ${Buffer.from("web:web-secret").toString("base64")}` },
      body: new URLSearchParams({ token: refreshToken }).toString(),
    });
    assert.equal(((await res.json()) as { active: boolean }).active, false);
    assert.equal((await refresh(String(rotated.body.refresh_token))).status, 200, "the family lives on");
  });
});
