import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import type { Browser } from "playwright-core";
import { claimsOf, credentialOf, launchChromium, startLoginWorld, type LoginWorld } from "../e2e/login/harness.ts";

describe("kubeward login --grant-type=authcode-keyboard, against oidc-provider", () => {
  let world: LoginWorld;
  let browser: Browser;
  before(async () => { [world, browser] = await Promise.all([startLoginWorld(), launchChromium()]); });
  after(async () => { await browser.close(); await world.close(); });

  test("authcode-keyboard: the URL on stderr, the pasted code on stdin (kubectl in interactive mode)", async () => {
    const redirect = "http://localhost:65000";
    const env = { KUBERNETES_EXEC_INFO: JSON.stringify({ apiVersion: "client.authentication.k8s.io/v1beta1", kind: "ExecCredential", spec: { interactive: true } }) };
    const running = world.start([...world.login, "--oidc-extra-scope=address", "--grant-type=authcode-keyboard", `--oidc-redirect-url-authcode-keyboard=${redirect}`], env);
    let url = "";
    for (let i = 0; i < 200 && url === ""; i++) {
      url = /\n(https:\/\/\S+)\n/.exec(running.stderrSoFar())?.[1] ?? "";
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.match(running.stderrSoFar(), /paste the code it shows:\n/);
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    let code = "";
    await context.route(`${redirect}/**`, (route) => {
      code = new URL(route.request().url()).searchParams.get("code") ?? "";
      return route.fulfill({ status: 200, body: "copy the code" });
    });
    const page = await context.newPage();
    await page.goto(url);
    await page.fill("input[name=login]", "jane");
    await page.fill("input[name=password]", "correct horse battery");
    await page.click("button[type=submit]");
    await page.click("button[type=submit]");
    await page.waitForURL(new RegExp(`^${redirect}/`));
    await context.close();
    assert.notEqual(code, "");
    running.write(`${code}\n`);
    const r = await running.done;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(credentialOf(r).apiVersion, "client.authentication.k8s.io/v1beta1");
    assert.equal(claimsOf(credentialOf(r).status.token)["sub"], "jane");
  });

  test("authcode-keyboard when kubectl says it is not interactive: one line, no URL", async () => {
    const env = { KUBERNETES_EXEC_INFO: JSON.stringify({ apiVersion: "client.authentication.k8s.io/v1", kind: "ExecCredential", spec: { interactive: false } }) };
    const r = await world.run([...world.login, "--oidc-extra-scope=phone", "--grant-type=authcode-keyboard"], env);
    assert.deepEqual(r, { code: 1, stdout: "", stderr: "kubeward login: the login needs a terminal to ask for input (--grant-type=authcode-keyboard reads the code from the terminal)\n" });
  });
});
