/**
 * The login pages with several connectors, under an issuer URL with a path:
 * the connector choice, a callback connector's round trip through its fixed
 * callback URL, failing connectors shown as readable pages without their
 * detail, and the login and token metrics.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as client from "openid-client";
import type { Connector } from "../../src/issuer/connectors/connector.ts";
import { fakeCallbackConnector, fakePasswordConnector } from "../tools/fake-connectors.ts";
import { authorizationRequest, KUBECTL_REDIRECT, startIssuerHarness, type Harness } from "./issuer-harness.ts";
import { formDriver } from "./issuer-browserless.ts";

const sso = fakeCallbackConnector("sso", "https://sso.example.com/authorize", { username: "sam", password: "", userID: "u-sam", email: "sam@example.com", groups: ["admins"] });
const broken: Connector = {
  ...fakePasswordConnector("broken", [], "Broken Directory"),
  async login() {
    throw new Error("ldap bind failed for cn=admin password=hunter2");
  },
};
let h: Harness;
before(async () => {
  h = await startIssuerHarness({ issuerPath: "/dex", extraConnectors: [sso, broken] });
});
after(() => h.close());

async function metric(name: string, labels: Record<string, string>): Promise<number> {
  const values = (await h.registry.getSingleMetric(name)?.get())?.values ?? [];
  return values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))?.value ?? 0;
}

describe("several connectors under /dex", () => {
  test("discovery and endpoints live under the issuer path", async () => {
    const rp = await h.rp("kubectl");
    assert.equal(rp.serverMetadata().issuer, h.url);
    assert.ok(rp.serverMetadata().token_endpoint?.startsWith(`${h.url}/`));
    assert.equal((await h.fetch(`${h.url}/theme.css`)).status, 200);
  });

  test("the choice page lists every connector; the callback connector logs in through its fixed callback URL", async () => {
    const rp = await h.rp("kubectl");
    const req = await authorizationRequest(rp, KUBECTL_REDIRECT, "openid groups");
    const d = formDriver(h.fetch, h.url);
    const choice = await d.get(req.url.href);
    for (const name of ["Example Directory", "Example SSO", "Broken Directory"]) assert.match(choice.html, new RegExp(`Log in with ${name}`));
    const href = /href="([^"]*\/connector\/sso)"/.exec(choice.html)?.[1];
    assert.ok(href);
    const away = await d.get(new URL(href, h.url).href);
    assert.equal(away.redirectedTo?.origin, "https://sso.example.com");
    const state = away.redirectedTo?.searchParams.get("state") ?? "";
    assert.equal(away.redirectedTo?.searchParams.get("callback"), `${h.url}/callback/sso`);
    const back = await d.get(`${h.url}/callback/sso?code=good&state=${encodeURIComponent(state)}`);
    assert.ok(back.redirectedTo, `back at the client, got ${back.status}`);
    const tokens = await client.authorizationCodeGrant(rp, back.redirectedTo, { pkceCodeVerifier: req.verifier, expectedState: req.state, expectedNonce: req.nonce });
    assert.deepEqual(tokens.claims()?.groups, ["admins"]);
    assert.equal(await metric("kubeward_issuer_logins_total", { connector: "sso", result: "success" }), 1);
    assert.ok(await metric("kubeward_issuer_tokens_issued_total", { grant_type: "authorization_code" }) >= 1);
  });

  test("an upstream may post its answer (SAML's HTTP-POST binding), state in RelayState", async () => {
    const rp = await h.rp("kubectl");
    const req = await authorizationRequest(rp, KUBECTL_REDIRECT, "openid groups");
    const d = formDriver(h.fetch, h.url);
    const choice = await d.get(req.url.href);
    const away = await d.get(new URL(/href="([^"]*\/connector\/sso)"/.exec(choice.html)?.[1] ?? "", h.url).href);
    const state = away.redirectedTo?.searchParams.get("state") ?? "";
    const back = await d.post(`${h.url}/callback/sso`, { code: "good", RelayState: state });
    assert.ok(back.redirectedTo, `back at the client, got ${back.status}`);
    const tokens = await client.authorizationCodeGrant(rp, back.redirectedTo, { pkceCodeVerifier: req.verifier, expectedState: req.state, expectedNonce: req.nonce });
    assert.deepEqual(tokens.claims()?.groups, ["admins"]);
    const replay = await d.post(`${h.url}/callback/sso`, { code: "good", RelayState: state });
    assert.equal(replay.status, 400, "the interaction is over; posting again leads nowhere");
  });

  test("a callback with a forged state is refused with a readable page", async () => {
    const res = await formDriver(h.fetch, h.url).get(`${h.url}/callback/sso?code=good&state=abc.def`);
    assert.equal(res.status, 400);
    assert.match(res.html, /This sign-in cannot continue/);
  });

  test("an upstream refusing the callback ends in a readable page", async () => {
    const rp = await h.rp("kubectl");
    const req = await authorizationRequest(rp, KUBECTL_REDIRECT, "openid");
    const d = formDriver(h.fetch, h.url);
    const choice = await d.get(req.url.href);
    const away = await d.get(new URL(/href="([^"]*\/connector\/sso)"/.exec(choice.html)?.[1] ?? "", h.url).href);
    const state = away.redirectedTo?.searchParams.get("state") ?? "";
    const back = await d.get(`${h.url}/callback/sso?error=access_denied&state=${encodeURIComponent(state)}`);
    assert.equal(back.redirectedTo, undefined);
    assert.equal(back.status, 401);
    assert.match(back.html, /Example SSO did not sign you in/);
    assert.equal(await metric("kubeward_issuer_logins_total", { connector: "sso", result: "failure" }), 1);
  });

  test("a connector that fails shows a generic error page; its detail stays in the log", async () => {
    const rp = await h.rp("kubectl");
    const req = await authorizationRequest(rp, KUBECTL_REDIRECT, "openid");
    const d = formDriver(h.fetch, h.url);
    const choice = await d.get(req.url.href);
    const form = await d.get(new URL(/href="([^"]*\/connector\/broken)"/.exec(choice.html)?.[1] ?? "", h.url).href);
    const post = form.forms.find((f) => "password" in f.fields);
    assert.ok(post);
    const res = await d.post(post.action, { ...post.fields, login: "x", password: "y" });
    assert.equal(res.status, 500);
    assert.match(res.html, /Something went wrong/);
    assert.doesNotMatch(res.html, /ldap|hunter2|cn=admin/);
    assert.equal(await metric("kubeward_issuer_logins_total", { connector: "broken", result: "error" }), 1);
  });
});
