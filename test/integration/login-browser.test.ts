import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { stat } from "node:fs/promises";
import type { Browser } from "playwright-core";
import { TokenCache } from "../../src/login/token-cache.ts";
import { claimsOf, credentialOf, launchChromium, logInWithChromium, startLoginWorld, type LoginWorld } from "../e2e/login/harness.ts";

describe("kubeward login through the browser, against oidc-provider", () => {
  let world: LoginWorld;
  let browser: Browser;
  before(async () => { [world, browser] = await Promise.all([startLoginWorld(), launchChromium()]); });
  after(async () => { await browser.close(); await world.close(); });

  test("code + PKCE through Chromium, then the cache: the second call opens no browser", async () => {
    const first = world.start(world.login);
    const url = await world.waitForBrowserUrl(1);
    assert.match(url, /code_challenge_method=S256/);
    assert.match(await logInWithChromium(browser, url), /Logged in/);
    const r1 = await first.done;
    assert.equal(r1.code, 0, r1.stderr);
    const cred = credentialOf(r1);
    assert.equal(cred.apiVersion, "client.authentication.k8s.io/v1");
    const claims = claimsOf(cred.status.token);
    assert.equal(claims["sub"], "jane");
    assert.equal(claims["iss"], world.provider.issuer);
    assert.equal(claims["aud"], "kubectl");
    assert.equal(cred.status.expirationTimestamp, new Date((claims["exp"] as number) * 1000).toISOString().replace(".000Z", "Z"));
    assert.match(r1.stderr, /opened the browser to log in/);
    const cacheFile = new TokenCache(world.cacheDir).pathOf({ issuer: world.provider.issuer, clientId: "kubectl", scopes: ["openid"] });
    assert.equal((await stat(cacheFile)).mode & 0o777, 0o600);

    const r2 = await world.run(world.login);
    assert.equal(r2.code, 0, r2.stderr);
    assert.equal(r2.stderr, "");
    assert.equal(credentialOf(r2).status.token, cred.status.token);
    assert.equal((await world.browserUrls()).length, 1);
  });

  test("parallel calls open one browser; the others wait and read the cache", async () => {
    const flags = [...world.login, "--oidc-extra-scope=email"];
    const before = (await world.browserUrls()).length;
    const runs = Array.from({ length: 4 }, () => world.start(flags));
    const url = await world.waitForBrowserUrl(before + 1);
    await logInWithChromium(browser, url);
    const results = await Promise.all(runs.map((r) => r.done));
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    assert.equal(new Set(results.map((r) => credentialOf(r).status.token)).size, 1);
    assert.equal(claimsOf(credentialOf(results[0]!).status.token)["email"], "jane@example.com");
    assert.equal((await world.browserUrls()).length, before + 1);
    assert.ok(results.filter((r) => r.stderr.includes("waiting for another kubeward login to finish")).length >= 1);
  });

  test("consent denied: one line with access_denied, nothing on stdout", async () => {
    const flags = [...world.login, "--oidc-extra-scope=profile"];
    const before = (await world.browserUrls()).length;
    const running = world.start(flags);
    const page = await logInWithChromium(browser, await world.waitForBrowserUrl(before + 1), { deny: true });
    assert.match(page, /Login failed/);
    const r = await running.done;
    assert.deepEqual(r, { code: 1, stdout: "", stderr: r.stderr });
    assert.match(r.stderr, /\nkubeward login: the login was denied at the issuer \(access_denied: End-User aborted interaction\)\n$/);
  });

  test("no login within --authentication-timeout: one line naming the flag", async () => {
    const r = await world.run([...world.login, "--oidc-extra-scope=groups", "--skip-open-browser", "--authentication-timeout=1s"]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /^kubeward login: open this URL in your browser to log in:\nhttps:\/\/127\.0\.0\.1:\d+\/auth\?/);
    assert.match(r.stderr, /\nkubeward login: the login did not finish within 1s; try again or raise --authentication-timeout\n$/);
  });
});
