/**
 * kubeward login against kubeward's own issuer (src/issuer, started by the
 * issuer tests' harness): the browser flow through its login page in
 * Chromium, silent refresh with rotation, logout with revocation, the device
 * flow, the password grant and client credentials.
 */
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import type { Browser } from "playwright-core";
import { TokenCache } from "../../src/login/token-cache.ts";
import { DEFAULT_CLIENTS, startIssuerHarness, tokenRequest, type Harness } from "./issuer-harness.ts";
import { claimsOf, credentialOf, launchChromium, loginSandbox, type LoginSandbox } from "../e2e/login/harness.ts";

/** kubelogin's registration: a public client with the redirect http://localhost:8000 (any port on loopback). */
const KUBELOGIN_CLIENT = { id: "kubelogin", name: "kubectl", redirectURIs: ["http://localhost:8000"], skipApproval: true };

describe("kubeward login against kubeward's issuer", () => {
  let h: Harness;
  let box: LoginSandbox;
  let browser: Browser;
  const scopes = ["openid", "groups", "offline_access"];
  const key = () => ({ issuer: h.url, clientId: "kubelogin", scopes });
  before(async () => {
    h = await startIssuerHarness({ config: { clients: [...DEFAULT_CLIENTS, KUBELOGIN_CLIENT], idTokenTtlMs: 20_000, devicePollIntervalMs: 1_000 } });
    [box, browser] = await Promise.all([loginSandbox(h.url, h.caPem, "kubelogin"), launchChromium()]);
  });
  after(async () => { await browser.close(); await box.close(); await h.close(); });

  test("the browser flow through the issuer's login page, then a silent refresh that rotates the refresh token", async () => {
    const login = [...box.login, "--oidc-extra-scope=groups,offline_access"];
    const running = box.start(login);
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    await page.goto(await box.waitForBrowserUrl(1));
    await page.getByLabel("Email or username").fill("jane");
    await page.getByLabel("Password").fill("correct horse");
    await page.keyboard.press("Enter");
    await page.waitForURL(/^http:\/\/localhost:\d+\//);
    assert.match(await page.locator("body").innerText(), /Logged in/);
    await context.close();
    const r1 = await running.done;
    assert.equal(r1.code, 0, r1.stderr);
    assert.deepEqual(claimsOf(credentialOf(r1).status.token)["groups"], ["dev", "ops"]);
    const cache = new TokenCache(box.cacheDir);
    const firstRefresh = (await cache.read(key()))?.refreshToken;
    assert.ok(firstRefresh !== undefined);

    const r2 = await box.run(login);
    assert.equal(r2.code, 0, r2.stderr);
    assert.equal(r2.stderr, "");
    assert.notEqual(credentialOf(r2).status.token, credentialOf(r1).status.token);
    assert.notEqual((await cache.read(key()))?.refreshToken, firstRefresh, "the issuer rotated the refresh token and the cache kept the new one");
    assert.equal((await box.browserUrls()).length, 1);
  });

  test("logout revokes the refresh token at the issuer", async () => {
    const refreshToken = (await new TokenCache(box.cacheDir).read(key()))?.refreshToken ?? "";
    const r = await box.run(["logout", ...box.login.slice(1).filter((f) => !/^--(browser-command|listen-address)/.test(f)), "--oidc-extra-scope=groups,offline_access"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^kubeward logout: revoked the refresh token at /);
    const refresh = await tokenRequest(h, { grant_type: "refresh_token", refresh_token: refreshToken }, "kubelogin");
    assert.equal(refresh.status, 400);
    assert.equal(refresh.body["error"], "invalid_grant");
  });

  test("the device flow", async () => {
    const running = box.start([...box.login, "--grant-type=device-code", "--oidc-extra-scope=email"]);
    let code = "";
    for (let i = 0; i < 200 && code === ""; i++) {
      code = /enter the code (\S+)\n/.exec(running.stderrSoFar())?.[1] ?? "";
      await sleep(25);
    }
    const verification = /visit (\S+) and enter/.exec(running.stderrSoFar())?.[1] ?? "";
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    await page.goto(verification);
    await page.locator("input[name=user_code]").fill(code);
    await page.keyboard.press("Enter");
    await page.locator("form", { has: page.locator("input[name=confirm][value=yes]") }).locator("button").click();
    await page.getByLabel("Email or username").fill("jane");
    await page.getByLabel("Password").fill("correct horse");
    await page.keyboard.press("Enter");
    const r = await running.done;
    await context.close();
    assert.equal(r.code, 0, r.stderr);
    assert.equal(claimsOf(credentialOf(r).status.token)["email"], "jane@example.com");
  });

  test("the password grant for a client that may use it, and client credentials", async () => {
    const base = ["login", `--oidc-issuer-url=${h.url}`, `--certificate-authority=${box.caFile}`, `--token-cache-dir=${box.cacheDir}`];
    const pw = await box.run([...base, "--oidc-client-id=pw", "--oidc-client-secret=pw-secret", "--username=jane", "--password=correct horse", "--oidc-extra-scope=groups"]);
    assert.equal(pw.code, 0, pw.stderr);
    assert.deepEqual(claimsOf(credentialOf(pw).status.token)["groups"], ["dev", "ops"]);
    const robot = await box.run([...base, "--oidc-client-id=robot", "--oidc-client-secret=robot-secret", "--grant-type=client-credentials"]);
    assert.equal(robot.code, 0, robot.stderr);
    const introspection = await h.fetch(`${h.url}/token/introspection`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: `Basic ${Buffer.from("robot:robot-secret").toString("base64")}` },
      body: new URLSearchParams({ token: credentialOf(robot).status.token }).toString(),
    });
    const info = (await introspection.json()) as { active: boolean; client_id?: string };
    assert.deepEqual([info.active, info.client_id], [true, "robot"]);
  });
});
