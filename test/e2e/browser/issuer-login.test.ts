/**
 * Chromium logs a user in through the embedded issuer's pages: the password
 * form (a wrong password first), a denied approval, and the device flow; the
 * pages carry a strict CSP that Chromium enforces without complaint, work by
 * keyboard, and refuse a POST without the CSRF token with a readable page.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as client from "openid-client";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { launchBrowser, newContext } from "../../tools/browser.ts";
import { startCallbackEndpoint, type CallbackEndpoint } from "../../tools/callback-endpoint.ts";
import { authorizationRequest, DEFAULT_CLIENTS, startIssuerHarness, type Harness } from "../../integration/issuer-harness.ts";

let h: Harness;
let browser: Browser;
let endpoint: CallbackEndpoint;

before(async () => {
  endpoint = await startCallbackEndpoint();
  h = await startIssuerHarness({
    config: {
      clients: [...DEFAULT_CLIENTS, { id: "desk", name: "Team Dashboard", redirectURIs: ["http://127.0.0.1:8000/callback"] }],
      devicePollIntervalMs: 1_000, theme: { name: "Acme Cloud" },
    },
  });
  browser = await launchBrowser();
});
after(async () => {
  await browser.close();
  await h.close();
  await endpoint.close();
});

/** A page in a fresh context that records CSP violations Chromium reports. */
async function freshPage(t: { after(fn: () => Promise<void>): void }): Promise<{ page: Page; context: BrowserContext; violations: string[] }> {
  const context = await newContext(browser, { ignoreHTTPSErrors: true });
  t.after(() => context.close());
  const page = await context.newPage();
  const violations: string[] = [];
  page.on("console", (m) => {
    if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
  });
  return { page, context, violations };
}

async function signIn(page: Page, username: string, password: string): Promise<void> {
  await page.getByLabel("Email or username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.keyboard.press("Enter");
}

describe("browser login", () => {
  test("password login: a wrong password is explained, the right one reaches the client with a code", async (t) => {
    const { page, violations } = await freshPage(t);
    const rp = await h.rp("kubectl");
    const req = await authorizationRequest(rp, endpoint.redirectURI, "openid groups");
    const response = await page.goto(req.url.href);
    const csp = response?.headers()["content-security-policy"] ?? "";
    assert.match(csp, /default-src 'none'; style-src 'self'/);
    assert.match(csp, /form-action 'self' http:\/\/127\.0\.0\.1:\*/);
    assert.equal(await page.title(), "Log in · Acme Cloud");
    assert.equal(await page.evaluate("document.activeElement && document.activeElement.id"), "login", "the username field has focus");
    await signIn(page, "jane", "wrong password");
    await page.getByRole("alert").waitFor();
    assert.equal((await page.getByRole("alert").textContent())?.trim(), "Invalid username or password.");
    const body = (await page.textContent("body")) ?? "";
    assert.doesNotMatch(body, /u-jane|stack|Error:/);
    await page.getByLabel("Password").fill("correct horse");
    await page.keyboard.press("Enter");
    await page.waitForURL((u) => u.href.startsWith(endpoint.redirectURI));
    const callback = new URL(page.url());
    const tokens = await client.authorizationCodeGrant(rp, callback, { pkceCodeVerifier: req.verifier, expectedState: req.state, expectedNonce: req.nonce });
    assert.deepEqual(tokens.claims()?.groups, ["dev", "ops"]);
    assert.deepEqual(violations, [], "Chromium reported no CSP violations");
  });

  test("denying the approval sends access_denied to the client", async (t) => {
    const { page } = await freshPage(t);
    const rp = await h.rp("desk");
    const req = await authorizationRequest(rp, endpoint.redirectURI, "openid email");
    await page.goto(req.url.href);
    await signIn(page, "jane", "correct horse");
    await page.getByRole("heading", { name: "Grant access to Team Dashboard" }).waitFor();
    assert.match((await page.textContent("body")) ?? "", /See your email address/);
    await page.getByRole("button", { name: "Deny" }).click();
    await page.waitForURL((u) => u.href.startsWith(endpoint.redirectURI));
    const callback = new URL(page.url());
    assert.equal(callback.searchParams.get("error"), "access_denied");
    assert.equal(callback.searchParams.get("state"), req.state);
  });

  test("a POST without the CSRF token is refused with a readable page", async (t) => {
    const { page, context } = await freshPage(t);
    const rp = await h.rp("kubectl");
    const req = await authorizationRequest(rp, endpoint.redirectURI, "openid");
    await page.goto(req.url.href);
    const action = await page.locator("form").getAttribute("action");
    assert.ok(action);
    const res = await context.request.post(new URL(action, h.url).href, { form: { login: "jane", password: "correct horse" }, maxRedirects: 0 });
    assert.equal(res.status(), 403);
    assert.match(await res.text(), /This form has expired/);
  });

  test("device flow: the user types the code, confirms and logs in; the polling client gets tokens", async (t) => {
    const { page } = await freshPage(t);
    const rp = await h.rp("kubectl");
    const auth = await client.initiateDeviceAuthorization(rp, { scope: "openid groups" });
    const polling = client.pollDeviceAuthorizationGrant(rp, auth);
    await page.goto(auth.verification_uri);
    await page.getByLabel("Code").fill(auth.user_code);
    await page.keyboard.press("Enter");
    await page.getByText(auth.user_code).waitFor();
    await page.getByRole("button", { name: "Continue" }).click();
    await signIn(page, "jane", "correct horse");
    await page.getByRole("heading", { name: "You're signed in" }).waitFor();
    const tokens = await polling;
    assert.deepEqual(tokens.claims()?.groups, ["dev", "ops"]);
  });
});
