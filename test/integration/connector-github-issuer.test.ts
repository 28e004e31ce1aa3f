/**
 * The github connector inside kubeward's issuer, over HTTP without a browser:
 * the client's authorization request, the connector choice, GitHub (the fake),
 * the issuer's callback, and an ID token carrying GitHub's user and groups.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import * as client from "openid-client";
import { openGitHubConnector } from "../../src/issuer/connectors/github/github-connector.ts";
import { startFakeGitHub, type FakeGitHub } from "../tools/fakes/github.ts";
import { quietDeps } from "../tools/fakes/connector-flow.ts";
import { authorizationRequest, KUBECTL_REDIRECT, startIssuerHarness, type Harness } from "./issuer-harness.ts";
import { formDriver } from "./issuer-browserless.ts";

let gh: FakeGitHub;
let h: Harness;
before(async () => {
  gh = await startFakeGitHub({ clientID: "kubeward-gh", clientSecret: "gh-secret", redirectURI: "https://unused.example/callback" });
  gh.setUser({ login: "alice", id: 1001, name: "Alice Liddell", email: null, emails: [{ email: "alice@example.com", primary: true, verified: true }], orgs: ["acme"], teams: [{ org: "acme", name: "SRE", slug: "sre" }] });
  const connector = await openGitHubConnector("github", "GitHub", { clientID: "kubeward-gh", clientSecret: "gh-secret", orgs: [{ name: "acme" }] }, { ...quietDeps, fetch: gh.https.fetch });
  h = await startIssuerHarness({ extraConnectors: [connector] });
  gh.authority.allowRedirectURI(`${h.url}/callback/github`);
});
after(async () => {
  await h.close();
  await gh.close();
});

/** From the client's authorization request to the redirect to GitHub. */
async function toGitHub(scope: string) {
  const rp = await h.rp("kubectl");
  const req = await authorizationRequest(rp, KUBECTL_REDIRECT, scope);
  const d = formDriver(h.fetch, h.url);
  const choice = await d.get(req.url.href);
  const href = /href="([^"]*\/connector\/github)"/.exec(choice.html)?.[1];
  assert.ok(href, "the choice page offers GitHub");
  const away = (await d.get(new URL(href, h.url).href)).redirectedTo;
  assert.equal(away?.origin, "https://github.com");
  return { rp, req, d, away: away as URL };
}

test("a GitHub user logs in through the issuer; the ID token carries the name, verified email and org groups", async () => {
  const { rp, req, d, away } = await toGitHub("openid profile email groups");
  assert.equal(away.searchParams.get("redirect_uri"), `${h.url}/callback/github`);
  const back = await d.get((await gh.signIn(away.href, "alice")).href);
  assert.ok(back.redirectedTo, `back at the client, got ${back.status}: ${back.html.slice(0, 200)}`);
  const tokens = await client.authorizationCodeGrant(rp, back.redirectedTo, { pkceCodeVerifier: req.verifier, expectedState: req.state, expectedNonce: req.nonce });
  const claims = tokens.claims();
  assert.deepEqual([claims?.["name"], claims?.["email"], claims?.["email_verified"], claims?.["groups"]], ["Alice Liddell", "alice@example.com", true, ["acme", "acme:SRE"]]);
});

test("a user who denies the app at GitHub sees the issuer's failure page", async () => {
  const { d, away } = await toGitHub("openid");
  const back = await d.get((await gh.signIn(away.href, "alice", { deny: true })).href);
  assert.equal(back.redirectedTo, undefined);
  assert.equal(back.status, 401);
  assert.match(back.html, /GitHub did not sign you in/);
});
