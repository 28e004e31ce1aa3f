/**
 * kubeward login against Dex (a real, independent OIDC issuer, the fixture
 * binary built by scripts/fixtures/build.sh): the password grant, with the
 * password given or typed, the browser flow through Dex's own login page,
 * and logout at an issuer with no revocation endpoint.
 */
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Browser } from "playwright-core";
import { TokenCache } from "../../src/login/token-cache.ts";
import { binaries, requireBinaries } from "../fixtures/cluster/binaries.ts";
import { claimsOf, credentialOf, launchChromium, loginSandbox, type LoginSandbox } from "../e2e/login/harness.ts";
import { freePort } from "../tools/free-port.ts";

/** bcrypt of "password", the hash in Dex's own config.dev.yaml. */
const HASH = "$2a$10$2b2cU8CPhOTaGrs1HRQuAueS7JTT5ZHsHSzYiFPm1leZck7Mc8T4W";


/** Starts Dex with a public client and one static user; resolves once discovery answers. */
async function startDex(dir: string): Promise<{ child: ChildProcess; issuer: string }> {
  const bin = binaries().dex;
  requireBinaries([[bin, "dex"]]);
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}/dex`;
  const config = join(dir, "dex.yaml");
  await writeFile(config, [
    `issuer: ${issuer}`, "storage: {type: memory}", `web: {http: "127.0.0.1:${port}"}`,
    "oauth2: {passwordConnector: local, skipApprovalScreen: true}", "enablePasswordDB: true",
    "staticPasswords:", `- {email: jane@example.com, hash: "${HASH}", username: jane, userID: 08a8684b-db88-4b73-90a9-3cd1661f5466}`,
    "staticClients:", "- {id: kubectl, name: kubectl, public: true}", "",
  ].join("\n"));
  const child = spawn(bin, ["serve", config], { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  child.stderr?.setEncoding("utf8").on("data", (d: string) => (log += d));
  for (let i = 0; i < 100; i++) {
    if (await fetch(`${issuer}/.well-known/openid-configuration`).then((r) => r.ok, () => false)) return { child, issuer };
    await sleep(100);
  }
  child.kill("SIGKILL");
  throw new Error(`dex did not start: ${log}`);
}

describe("kubeward login against Dex", () => {
  let world: LoginSandbox;
  let dex: Awaited<ReturnType<typeof startDex>>;
  let browser: Browser;
  let flags: string[];
  before(async () => {
    world = await loginSandbox("http://127.0.0.1/unused", "", "kubectl");
    [dex, browser] = await Promise.all([startDex(world.dir), launchChromium()]);
    flags = ["login", `--oidc-issuer-url=${dex.issuer}`, "--oidc-client-id=kubectl", `--token-cache-dir=${world.cacheDir}`, "--oidc-extra-scope=email,offline_access"];
  });
  after(async () => {
    const exited = once(dex.child, "exit");
    dex.child.kill("SIGTERM");
    await exited;
    await browser.close();
    await world.close();
  });

  test("the password grant with --username and --password", async () => {
    const r = await world.run([...flags, "--username=jane@example.com", "--password=password"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "");
    const claims = claimsOf(credentialOf(r).status.token);
    assert.equal(claims["email"], "jane@example.com");
    assert.equal(claims["iss"], dex.issuer);
  });

  test("--force-refresh refreshes at Dex; logout says Dex has no revocation endpoint", async () => {
    const before = await world.run(flags.concat("--username=jane@example.com", "--password=password"));
    const cache = new TokenCache(world.cacheDir);
    const key = { issuer: dex.issuer, clientId: "kubectl", scopes: ["openid", "email", "offline_access"] };
    const cachedBefore = await cache.read(key);
    assert.equal(cachedBefore?.token, credentialOf(before).status.token);
    const refreshed = await world.run([...flags, "--username=jane@example.com", "--password=password", "--force-refresh"]);
    assert.equal(refreshed.code, 0, refreshed.stderr);
    // Dex rotated the refresh token, so the grant ran (a new ID token in the
    // same second as the old one could be identical byte for byte).
    assert.notEqual((await cache.read(key))?.refreshToken, cachedBefore.refreshToken);
    assert.equal((await cache.read(key))?.token, credentialOf(refreshed).status.token);
    const out = await world.run(["logout", ...flags.slice(1)]);
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stderr, `kubeward logout: ${dex.issuer} advertises no revocation endpoint; its refresh token stays valid until it expires\nkubeward logout: removed the cached tokens for ${dex.issuer} (client kubectl)\n`);
  });

  test("no --password on an interactive terminal: asked on stderr, read from stdin; a wrong one is denied", async () => {
    const env = { KUBERNETES_EXEC_INFO: JSON.stringify({ apiVersion: "client.authentication.k8s.io/v1", kind: "ExecCredential", spec: { interactive: true } }) };
    const asked = world.start([...flags, "--username=jane@example.com"], env);
    asked.write("password\n");
    const r = await asked.done;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "Password for jane@example.com: \n");
    assert.equal(claimsOf(credentialOf(r).status.token)["email"], "jane@example.com");
    const wrong = world.start([...flags, "--username=jane@example.com", "--oidc-extra-scope=profile"], env);
    wrong.write("not-the-password\n");
    const w = await wrong.done;
    assert.equal(w.code, 1);
    assert.equal(w.stdout, "");
    assert.equal(w.stderr, "Password for jane@example.com: \nkubeward login: the login was denied at the issuer (access_denied: Invalid username or password)\n");
  });

  test("the browser flow through Dex's login page", async () => {
    const running = world.start(["login", `--oidc-issuer-url=${dex.issuer}`, "--oidc-client-id=kubectl", `--token-cache-dir=${world.cacheDir}`, `--browser-command=${world.browserScript}`, "--listen-address=127.0.0.1:0"]);
    const url = await world.waitForBrowserUrl(1);
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(url);
    await page.fill("input[name=login]", "jane@example.com");
    await page.fill("input[name=password]", "password");
    await page.click("button[type=submit]");
    await page.waitForURL(/^http:\/\/localhost:\d+\//);
    assert.match(await page.locator("body").innerText(), /Logged in/);
    await context.close();
    const r = await running.done;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(claimsOf(credentialOf(r).status.token)["iss"], dex.issuer);
  });
});
