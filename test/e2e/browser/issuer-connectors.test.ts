/**
 * Chromium logs in to the embedded issuer through its REAL connectors: the `local` connector (bcrypt static
 * users, a wrong password first) and the `oidc` connector against an independent upstream provider
 * (npm oidc-provider over HTTPS) — including the upstream refusing, which leaves the client without a code.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import bcrypt from "bcryptjs";
import * as client from "openid-client";
import type { Browser, Page } from "playwright-core";
import { launchBrowser, newContext } from "../../tools/browser.ts";
import { startCallbackEndpoint, type CallbackEndpoint } from "../../tools/callback-endpoint.ts";
import { authorizationRequest, DEFAULT_CLIENTS, startIssuerHarness, type Harness } from "../../integration/issuer-harness.ts";
import { startUpstreamProvider, type UpstreamAccount, type UpstreamProvider } from "../../tools/upstream-oidc-provider.ts";
import { openConnector } from "../../../src/issuer/connectors/registry.ts";
import type { Connector, ConnectorDeps } from "../../../src/issuer/connectors/connector.ts";
import { createLogger } from "../../../src/log/logger.ts";
import { systemClock } from "../../../src/clock.ts";

const PAGE_TIMEOUT = 15_000;
const SCOPES = "openid email groups profile";
const LOCAL_USER = { email: "lena@example.com", password: "lena's right password", username: "lena", userID: "local-user-7f3a", groups: ["devs", "oncall"] };
const ALICE: UpstreamAccount = {
  sub: "alice", password: "alice-upstream-pw", name: "Alice Liddell", preferred_username: "alice",
  email: "alice@acme.example", groups: ["platform", "auditors"],
};
const UPSTREAM_SECRET = "kubeward-at-acme-client-secret";

let h: Harness;
let up: UpstreamProvider;
let browser: Browser;
let endpoint: CallbackEndpoint;
const connectors: Connector[] = [];

before(async () => {
  endpoint = await startCallbackEndpoint();

  // The upstream's client for kubeward is registered once the issuer's address (its callback URL) is known.
  up = await startUpstreamProvider({ clients: [], accounts: [ALICE] });
  const deps: ConnectorDeps = { clock: systemClock, logger: createLogger({ level: "silent" }), fetch: globalThis.fetch };
  const hash = await bcrypt.hash(LOCAL_USER.password, 4);
  const { password: _, ...user } = LOCAL_USER;
  connectors.push(await openConnector({ type: "local", id: "local", name: "Email", config: { staticPasswords: [{ ...user, hash }] } }, deps, { path: "connectors[0]" }));
  connectors.push(await openConnector({
    type: "oidc", id: "acme", name: "Acme SSO",
    config: { issuer: up.issuer, clientID: "kubeward", clientSecret: UPSTREAM_SECRET, rootCAs: [up.caPem], scopes: ["profile", "email", "groups"], insecureEnableGroups: true },
  }, deps, { path: "connectors[1]" }));
  // The real `local` connector takes the id of the harness's fake one, so exactly these two are offered.
  h = await startIssuerHarness({
    extraConnectors: connectors,
    config: { clients: [...DEFAULT_CLIENTS, { id: "desk", name: "Team Dashboard", redirectURIs: ["http://127.0.0.1:8000/callback"] }], theme: { name: "Acme Cloud" } },
  });
  // oidc-provider looks up clients it was not started with in its adapter (its "Client" model).
  const clientStore = (up.provider.Client as unknown as { adapter: { upsert(id: string, payload: Record<string, unknown>): Promise<void> } }).adapter;
  await clientStore.upsert("kubeward", {
    client_id: "kubeward", client_secret: UPSTREAM_SECRET, redirect_uris: [`${h.url}/callback/acme`],
    grant_types: ["authorization_code", "refresh_token"], response_types: ["code"],
  });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await h?.close();
  await Promise.all(connectors.map((c) => c.close()));
  await up?.close();
  await endpoint?.close();
});

async function freshPage(t: { after(fn: () => Promise<void>): void }): Promise<Page> {
  // The issuer and the upstream serve certificates from their own test CAs.
  const context = await newContext(browser, { ignoreHTTPSErrors: true });
  t.after(() => context.close());
  const page = await context.newPage();
  page.setDefaultTimeout(PAGE_TIMEOUT);
  page.setDefaultNavigationTimeout(PAGE_TIMEOUT);
  return page;
}

/** Opens an authorization request of the "desk" client (which asks for approval) at the connector choice page. */
async function startLogin(t: { after(fn: () => Promise<void>): void }) {
  const page = await freshPage(t);
  const rp = await h.rp("desk");
  const req = await authorizationRequest(rp, endpoint.redirectURI, SCOPES);
  await page.goto(req.url.href);
  await page.getByRole("heading", { name: "Log in to continue" }).waitFor();
  const choices = (await page.getByRole("link", { name: /^Log in with / }).allTextContents()).map((s) => s.trim());
  assert.deepEqual(choices, ["Log in with Email", "Log in with Acme SSO"]);
  return { page, rp, req };
}

async function approveAndExchange(page: Page, rp: client.Configuration, req: Awaited<ReturnType<typeof authorizationRequest>>, signedInAs: string) {
  await page.getByRole("heading", { name: "Grant access to Team Dashboard" }).waitFor();
  const body = (await page.textContent("body")) ?? "";
  assert.match(body, new RegExp(`Signed in as ${signedInAs.replace(/[.]/g, "\\.")}`));
  assert.match(body, /See your email address/);
  assert.match(body, /See the groups you belong to/);
  await page.getByRole("button", { name: "Allow" }).click();
  await page.waitForURL((u) => u.href.startsWith(endpoint.redirectURI));
  assert.equal(await page.textContent("body"), "back at the client");
  const tokens = await client.authorizationCodeGrant(rp, new URL(page.url()), { pkceCodeVerifier: req.verifier, expectedState: req.state, expectedNonce: req.nonce });
  const claims = tokens.claims();
  assert.ok(claims, "an ID token came back");
  return claims;
}

describe("logging in through the real connectors", () => {
  test("local connector: a wrong password is explained and cleared; the right one gives the user's email and groups", async (t) => {
    const { page, rp, req } = await startLogin(t);
    await page.getByRole("link", { name: "Log in with Email" }).click();
    await page.getByText("to Team Dashboard with Email").waitFor();
    await page.getByLabel("Email Address").fill(LOCAL_USER.email);
    await page.getByLabel("Password").fill("not lena's password");
    await page.getByRole("button", { name: "Log in" }).click();
    const alert = page.getByRole("alert");
    await alert.waitFor();
    assert.equal((await alert.textContent())?.trim(), "Invalid username or password.");
    assert.equal(await page.getByLabel("Password").inputValue(), "", "the password field is empty again");
    assert.equal(await page.getByLabel("Email Address").inputValue(), LOCAL_USER.email, "the email is kept");
    const body = (await page.textContent("body")) ?? "";
    assert.doesNotMatch(body, /local-user-7f3a|\$2[aby]\$|not lena|stack|Error:|undefined/);

    await page.getByLabel("Password").fill(LOCAL_USER.password);
    await page.getByRole("button", { name: "Log in" }).click();
    const claims = await approveAndExchange(page, rp, req, LOCAL_USER.email);
    assert.equal(claims["email"], LOCAL_USER.email);
    assert.deepEqual(claims["groups"], LOCAL_USER.groups);
    assert.equal(claims["name"], LOCAL_USER.username);
  });

  test("oidc connector: the user signs in and consents at the upstream, and the client gets the upstream account's email and groups", async (t) => {
    const { page, rp, req } = await startLogin(t);
    await page.getByRole("link", { name: "Log in with Acme SSO" }).click();
    await page.waitForURL((u) => u.origin === up.issuer);
    await page.getByRole("heading", { name: "Sign-in" }).waitFor();
    await page.locator('input[name="login"]').fill(ALICE.sub);
    await page.locator('input[name="password"]').fill(ALICE.password);
    await page.getByRole("button", { name: "Sign-in" }).click();
    await page.getByRole("heading", { name: "Authorize" }).waitFor();
    await page.getByRole("button", { name: "Continue" }).click();
    await page.waitForURL((u) => u.href.startsWith(h.url));
    const claims = await approveAndExchange(page, rp, req, ALICE.email ?? "");
    assert.equal(claims["email"], ALICE.email);
    assert.deepEqual(claims["groups"], ALICE.groups);
    assert.equal(claims["name"], ALICE.name);
  });

  test("the upstream refuses a wrong password; cancelling there ends on kubeward's readable page and the client gets no code", async (t) => {
    const { page, req } = await startLogin(t);
    await page.getByRole("link", { name: "Log in with Acme SSO" }).click();
    await page.waitForURL((u) => u.origin === up.issuer);
    await page.locator('input[name="login"]').fill(ALICE.sub);
    await page.locator('input[name="password"]').fill("a guess");
    await page.getByRole("button", { name: "Sign-in" }).click();
    await page.getByText("Invalid login or password").waitFor();
    assert.equal(new URL(page.url()).origin, up.issuer, "still at the upstream");

    await page.getByRole("link", { name: "Cancel" }).click();
    await page.getByRole("heading", { name: "Sign-in failed" }).waitFor();
    assert.ok(page.url().startsWith(h.url), `back at kubeward, at ${page.url()}`);
    const body = (await page.textContent("body")) ?? "";
    assert.match(body, /Acme SSO did not sign you in\. Go back to the application and try again\./);
    assert.doesNotMatch(body, /access_denied|aborted|connector_|stack|Error:|kubeward-at-acme/);
    assert.equal(endpoint.callbacks.filter((u) => u.searchParams.get("state") === req.state).length, 0, "the client got no answer, hence no code");
  });

  test("cancelling at the upstream's consent screen also ends without a code", async (t) => {
    const { page, req } = await startLogin(t);
    await page.getByRole("link", { name: "Log in with Acme SSO" }).click();
    await page.waitForURL((u) => u.origin === up.issuer);
    await page.locator('input[name="login"]').fill(ALICE.sub);
    await page.locator('input[name="password"]').fill(ALICE.password);
    await page.getByRole("button", { name: "Sign-in" }).click();
    await page.getByRole("heading", { name: "Authorize" }).waitFor();
    await page.getByRole("link", { name: "Cancel" }).click();
    await page.getByRole("heading", { name: "Sign-in failed" }).waitFor();
    assert.match((await page.textContent("body")) ?? "", /Acme SSO did not sign you in/);
    assert.equal(endpoint.callbacks.filter((u) => u.searchParams.get("state") === req.state).length, 0, "the client got no answer, hence no code");
  });
});
