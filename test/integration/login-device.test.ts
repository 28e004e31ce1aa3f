import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { Readable } from "node:stream";
import { systemClock } from "../../src/clock.ts";
import { parseFlags } from "../../src/login/flag-parser.ts";
import { issuerFetch } from "../../src/login/issuer-client.ts";
import { obtainToken } from "../../src/login/login.ts";
import { LOGIN_FLAGS, readLoginOptions } from "../../src/login/login-options.ts";
import { terminalPrompt } from "../../src/login/prompt.ts";
import { TokenCache } from "../../src/login/token-cache.ts";
import { JANE, claimsOf, credentialOf, startLoginWorld, type LoginWorld, type Running } from "../e2e/login/harness.ts";

/** Waits until the device flow has printed the user code, and returns it. */
async function userCode(running: Running): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const m = /enter the code (\S+)\n/.exec(running.stderrSoFar());
    if (m?.[1]) return m[1];
    await sleep(50);
  }
  throw new Error(`no user code printed: ${running.stderrSoFar()}`);
}

describe("kubeward login without a local browser, and logout, against oidc-provider", () => {
  let world: LoginWorld;
  before(async () => { world = await startLoginWorld(); });
  after(() => world.close());

  test("device code: the verification URL and user code on stderr, then the ID token once the user logs in elsewhere", async () => {
    const running = world.start([...world.login, "--grant-type=device-code", "--oidc-extra-scope=offline_access"]);
    const code = await userCode(running);
    assert.match(running.stderrSoFar(), new RegExp(`^kubeward login: visit ${world.provider.issuer}/device and enter the code ${code}\\n`));
    const landed = await world.provider.signIn("/device", { login: JANE.sub, password: JANE.password, userCode: code });
    assert.match(landed.pathname, /\/device/);
    const r = await running.done;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(claimsOf(credentialOf(r).status.token)["sub"], "jane");
    assert.equal((await world.browserUrls()).length, 0);
    assert.doesNotMatch(r.stderr, /[\u2580-\u259f]/, "no QR code when stderr is not a terminal");
  });

  test("logout revokes the refresh token at the issuer and removes the cache entry", async () => {
    const cache = new TokenCache(world.cacheDir);
    const key = { issuer: world.provider.issuer, clientId: "kubectl", scopes: ["openid", "offline_access"] };
    const refreshToken = (await cache.read(key))?.refreshToken;
    assert.ok(refreshToken !== undefined);
    const logout = ["logout", ...world.login.slice(1).filter((f) => !f.startsWith("--browser-command") && !f.startsWith("--listen-address")), "--oidc-extra-scope=offline_access"];
    const r = await world.run(logout);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, `kubeward logout: revoked the refresh token at ${world.provider.issuer}\nkubeward logout: removed the cached tokens for ${world.provider.issuer} (client kubectl)\n`);
    assert.equal(await cache.read(key), undefined);
    const refresh = await world.provider.fetch(`${world.provider.issuer}/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ client_id: "kubectl", grant_type: "refresh_token", refresh_token: refreshToken }).toString(),
    });
    assert.equal(refresh.status, 400);
    assert.equal(((await refresh.json()) as { error: string }).error, "invalid_grant");
  });

  test("client credentials: the client's own access token, cached until it nears its expiry", async () => {
    const args = ["login", `--oidc-issuer-url=${world.provider.issuer}`, "--oidc-client-id=robot", "--oidc-client-secret=robot-secret", `--certificate-authority=${world.caFile}`, `--token-cache-dir=${world.cacheDir}`, "--grant-type=client-credentials"];
    const r1 = await world.run(args);
    assert.equal(r1.code, 0, r1.stderr);
    const token = credentialOf(r1).status.token;
    const introspected = await world.provider.fetch(`${world.provider.issuer}/token/introspection`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: `Basic ${Buffer.from("robot:robot-secret").toString("base64")}` },
      body: new URLSearchParams({ token }).toString(),
    });
    const info = (await introspected.json()) as { active: boolean; client_id: string; exp: number };
    assert.equal(info.active, true);
    assert.equal(info.client_id, "robot");
    assert.equal(credentialOf(r1).status.expirationTimestamp, new Date(info.exp * 1000).toISOString().replace(".000Z", "Z"));
    const r2 = await world.run(args);
    assert.equal(credentialOf(r2).status.token, token);
  });

  test("a wrong client secret: the issuer's refusal on one line", async () => {
    const r = await world.run(["login", `--oidc-issuer-url=${world.provider.issuer}`, "--oidc-client-id=robot", "--oidc-client-secret=wrong", `--certificate-authority=${world.caFile}`, `--token-cache-dir=${world.cacheDir}`, "--grant-type=client-credentials", "--oidc-extra-scope=x"]);
    assert.deepEqual(r, { code: 1, stdout: "", stderr: "kubeward login: the issuer refused the login (invalid_client: client authentication failed)\n" });
  });

  test("device code on a terminal: a QR code of the complete verification URL is drawn on stderr", async () => {
    const parsed = parseFlags([...world.login.slice(1), "--grant-type=device-code", "--oidc-extra-scope=profile,offline_access"], LOGIN_FLAGS, "");
    const options = readLoginOptions(parsed.values, {}, parsed.problems);
    assert.deepEqual(parsed.problems.list, []);
    const trust = await issuerFetch(options);
    let stderr = "";
    const write = (t: string) => { stderr += t; };
    try {
      const pending = obtainToken(options, { clock: systemClock, fetch: trust.fetch, stderr: write, openBrowser: undefined, prompt: terminalPrompt(Readable.from([]), write), interactive: false, stderrIsTTY: true });
      let code = "";
      for (let i = 0; i < 200 && code === ""; i++) {
        code = /enter the code (\S+)\n/.exec(stderr)?.[1] ?? "";
        await sleep(25);
      }
      await world.provider.signIn("/device", { login: JANE.sub, password: JANE.password, userCode: code });
      const tokens = await pending;
      assert.equal(claimsOf(tokens.token)["sub"], "jane");
    } finally {
      await trust.close();
    }
    assert.match(stderr, /kubeward login: or open https:\/\/127\.0\.0\.1:\d+\/device\?user_code=\S+\n[\u2580-\u259f ]+\n/);
  });

  test("logout --all removes every entry, revoking where there is a refresh token", async () => {
    const cache = new TokenCache(world.cacheDir);
    assert.ok((await cache.list()).length >= 1);
    const r = await world.run(["logout", "--all", `--token-cache-dir=${world.cacheDir}`, `--certificate-authority=${world.caFile}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /revoked the refresh token at /);
    assert.match(r.stderr, /removed the cached tokens for \S+ \(client robot\)/);
    assert.deepEqual(await cache.list(), []);
  });
});
