import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import type { Browser } from "playwright-core";
import { TokenCache } from "../../src/login/token-cache.ts";
import { claimsOf, credentialOf, launchChromium, logInWithChromium, startLoginWorld, type LoginWorld } from "../e2e/login/harness.ts";

/** ID tokens live 20 s, under the 30 s reuse margin: every call after the first needs a refresh. */
describe("kubeward login refreshes silently, and logs in again when the refresh token is revoked", () => {
  let world: LoginWorld;
  let browser: Browser;
  let login: string[];
  let cache: TokenCache;
  const key = () => ({ issuer: world.provider.issuer, clientId: "kubectl", scopes: ["openid", "offline_access"] });
  before(async () => {
    [world, browser] = await Promise.all([startLoginWorld({ idTokenTTL: 20 }), launchChromium()]);
    login = [...world.login, "--oidc-extra-scope=offline_access"];
    cache = new TokenCache(world.cacheDir);
  });
  after(async () => { await browser.close(); await world.close(); });

  test("an ID token near its expiry is refreshed with the refresh token, with no browser and no message", async () => {
    const first = world.start(login);
    const url = await world.waitForBrowserUrl(1);
    assert.match(url, /prompt=consent/);
    await logInWithChromium(browser, url);
    const r1 = await first.done;
    assert.equal(r1.code, 0, r1.stderr);
    const before = await cache.read(key());
    assert.ok(before?.refreshToken !== undefined, "a refresh token is cached");

    const r2 = await world.run(login);
    assert.equal(r2.code, 0, r2.stderr);
    assert.equal(r2.stderr, "");
    const refreshed = credentialOf(r2).status.token;
    assert.equal(claimsOf(refreshed)["sub"], "jane");
    assert.equal((await world.browserUrls()).length, 1);
    const after = await cache.read(key());
    assert.equal(after?.token, refreshed);
    // The refresh token rotated, so the grant ran. (The ID tokens themselves may
    // be byte-identical: the upstream's carry no jti, and a refresh within the
    // login's second gets the same iat and exp.)
    assert.notEqual(after?.refreshToken, before.refreshToken);
  });

  test("a revoked refresh token: the user is told, and a new login starts", async () => {
    const refreshToken = (await cache.read(key()))?.refreshToken ?? "";
    const revoked = await world.provider.fetch(`${world.provider.issuer}/token/revocation`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ client_id: "kubectl", token: refreshToken, token_type_hint: "refresh_token" }).toString(),
    });
    assert.equal(revoked.status, 200);
    const running = world.start(login);
    const url = await world.waitForBrowserUrl(2);
    await logInWithChromium(browser, url);
    const r = await running.done;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^kubeward login: the issuer refused the refresh token \(invalid_grant: grant request is invalid\); logging in again\n/);
    assert.equal(claimsOf(credentialOf(r).status.token)["sub"], "jane");
    assert.notEqual((await cache.read(key()))?.refreshToken, refreshToken);
  });
});

describe("kubeward login --force-refresh", () => {
  let world: LoginWorld;
  let browser: Browser;
  before(async () => { [world, browser] = await Promise.all([startLoginWorld(), launchChromium()]); });
  after(async () => { await browser.close(); await world.close(); });

  test("--force-refresh: a new ID token from the refresh token while the cached one is still valid, no browser", async () => {
    const flags = [...world.login, "--oidc-extra-scope=offline_access"];
    const before = (await world.browserUrls()).length;
    const first = world.start(flags);
    await logInWithChromium(browser, await world.waitForBrowserUrl(before + 1));
    const r1 = await first.done;
    assert.equal(r1.code, 0, r1.stderr);
    const cache = new TokenCache(world.cacheDir);
    const key = { issuer: world.provider.issuer, clientId: "kubectl", scopes: ["openid", "offline_access"] };
    const cachedBefore = await cache.read(key);
    const r2 = await world.run([...flags, "--force-refresh"]);
    assert.equal(r2.code, 0, r2.stderr);
    assert.equal(r2.stderr, "");
    // The refresh token rotated, so the grant ran even while the cached ID token
    // was valid. (The new ID token may equal the old one byte for byte: the
    // upstream's carry no jti, and a refresh within the login's second gets the
    // same iat and exp.)
    const cachedAfter = await cache.read(key);
    assert.ok(cachedBefore?.refreshToken !== undefined);
    assert.notEqual(cachedAfter?.refreshToken, cachedBefore.refreshToken);
    assert.equal(cachedAfter?.token, credentialOf(r2).status.token);
    assert.equal((await world.browserUrls()).length, before + 1);
    assert.equal(credentialOf(await world.run(flags)).status.token, credentialOf(r2).status.token);
  });
});
