/**
 * Real kubectl → `kubeward login` (each grant: password, browser in Chromium,
 * device flow) → `kubeward serve`'s proxy → the real kube-apiserver; the next
 * kubectl uses the cache, and an ID token near its expiry is refreshed with no browser.
 */
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Browser } from "playwright-core";
import { useCluster } from "../../fixtures/cluster/use-cluster.ts";
import { launchBrowser } from "../../tools/browser.ts";
import { approveDeviceWithChromium, claimsOf, signInWithChromium, startServeFixture, USER, waitForText, type ServeFixture } from "./serve-fixture.ts";

const cluster = useCluster();
const WHOAMI = ["auth", "whoami", "-o", "jsonpath={.status.userInfo.username} {.status.userInfo.groups}"];
/** 30 s of it are the cache's expiry margin: a token is handed out again for 45 s, then refreshed. */
const ID_TOKEN_TTL_S = 75;
/** What kubectl auth whoami prints for the user: the email as username, its groups and system:authenticated. */
const EXPECTED = `${USER.email} ${JSON.stringify([...USER.groups, "system:authenticated"])}`;

/** The ID token in a login's cache directory (one cache file per issuer, client and scopes). */
async function cachedToken(cacheDir: string): Promise<string> {
  const files = (await readdir(cacheDir)).filter((f) => !f.endsWith(".lock"));
  assert.equal(files.length, 1, `one cache file in ${cacheDir}: ${files.join(", ")}`);
  return (JSON.parse(await readFile(join(cacheDir, files[0] ?? ""), "utf8")) as { token: string }).token;
}

describe("kubectl through kubeward serve with each kubeward login grant", () => {
  let f: ServeFixture;
  let browser: Browser;
  before(async () => {
    [f, browser] = await Promise.all([startServeFixture(cluster, { idTokenTTL: `${ID_TOKEN_TTL_S}s` }), launchBrowser()]);
  });
  after(async () => {
    await browser?.close();
    await f?.close();
  });

  const whoamiOk = async (kubeconfig: string) => {
    const r = await f.kubectl(kubeconfig, WHOAMI);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, EXPECTED);
    return r;
  };

  test("password grant: kubectl auth whoami names the user; the second call reuses the cached token", { timeout: 240_000 }, async () => {
    const kc = await f.kubeconfig("password", ["--grant-type=password", `--username=${USER.email}`]);
    // `kubeward kubeconfig` does not write passwords into kubeconfigs; a user who wants one there adds it by hand.
    await f.appendExecArgs(kc.path, [`--password=${USER.password}`]);
    await whoamiOk(kc.path);
    const first = await cachedToken(kc.cacheDir);
    assert.equal(claimsOf(first)["iss"], f.issuerUrl);
    const again = await whoamiOk(kc.path);
    assert.equal(again.stderr, "");
    assert.equal(await cachedToken(kc.cacheDir), first, "the second kubectl used the cached ID token");
    assert.deepEqual(await f.browserUrls(), [], "no browser was opened");
  });

  test("browser flow: Chromium signs in at the issuer's page; the second kubectl opens no browser", { timeout: 240_000 }, async () => {
    const kc = await f.kubeconfig("browser", []);
    const opened = (await f.browserUrls()).length;
    const running = f.startKubectl(kc.path, WHOAMI);
    const url = await f.waitForBrowserUrl(opened + 1);
    assert.ok(url.startsWith(`${f.issuerUrl}/`), url);
    assert.match(await signInWithChromium(browser, url), /Logged in/i);
    const r = await running.done;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, EXPECTED);
    const token = await cachedToken(kc.cacheDir);
    await whoamiOk(kc.path);
    assert.equal((await f.browserUrls()).length, opened + 1, "the browser command was not run again");
    assert.equal(await cachedToken(kc.cacheDir), token);
  });

  test("device flow: the user reads the code on kubectl's stderr and approves it in Chromium", { timeout: 240_000 }, async () => {
    const kc = await f.kubeconfig("device", ["--grant-type=device-code"]);
    const opened = (await f.browserUrls()).length;
    const running = f.startKubectl(kc.path, WHOAMI);
    const [, verification = "", userCode = ""] = await waitForText(running.stderrSoFar, /visit (https:\S+) and enter the code (\S+)/);
    assert.ok(verification.startsWith(`${f.issuerUrl}/`), verification);
    await approveDeviceWithChromium(browser, verification, userCode);
    const r = await running.done;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, EXPECTED);
    const again = await whoamiOk(kc.path);
    assert.doesNotMatch(again.stderr, /enter the code/, "the second kubectl used the cache");
    assert.equal((await f.browserUrls()).length, opened, "the device flow never runs the browser command");
  });

  test("an ID token within 30 s of its expiry is refreshed silently: no browser, no prompt, a new token", { timeout: 240_000 }, async () => {
    const kc = await f.kubeconfig("refresh", []);
    const opened = (await f.browserUrls()).length;
    const running = f.startKubectl(kc.path, WHOAMI);
    await signInWithChromium(browser, await f.waitForBrowserUrl(opened + 1));
    const r = await running.done;
    assert.equal(r.code, 0, r.stderr);
    const first = await cachedToken(kc.cacheDir);
    const exp = Number(claimsOf(first)["exp"]) * 1000;
    assert.equal(exp - Number(claimsOf(first)["iat"]) * 1000, ID_TOKEN_TTL_S * 1000, "issuer.idTokenTTL sets the ID token's lifetime");
    await sleep(Math.max(0, exp - 30_000 - Date.now()) + 1_000);
    const refreshed = await whoamiOk(kc.path);
    assert.equal(refreshed.stderr, "", "nothing asked of the user");
    const second = await cachedToken(kc.cacheDir);
    assert.notEqual(second, first, "a new ID token");
    assert.ok(Number(claimsOf(second)["exp"]) > Number(claimsOf(first)["exp"]));
    assert.equal((await f.browserUrls()).length, opened + 1, "the browser command was not run again");
  });
});
