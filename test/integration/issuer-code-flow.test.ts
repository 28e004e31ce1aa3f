/**
 * Authorization code + PKCE against the embedded issuer, with openid-client
 * as the relying party and the real login pages driven without a browser:
 * the happy path, the claims by scope, loopback ports, and every refusal a
 * client must see as the right OAuth error.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { decodeProtectedHeader } from "jose";
import * as client from "openid-client";
import { subjectFor } from "../../src/issuer/subject.ts";
import { authorizationRequest, KUBECTL_REDIRECT, skewClock, startIssuerHarness, tokenRequest, WEB_REDIRECT, type Harness } from "./issuer-harness.ts";
import { formDriver, loginWithPassword } from "./issuer-browserless.ts";

const clock = skewClock();
let h: Harness;
before(async () => {
  h = await startIssuerHarness({ clock });
});
after(() => h.close());

/** Logs jane in for `clientId` and returns the callback URL with the code. */
async function codeFor(rp: client.Configuration, redirectURI: string, scope: string, extra: Record<string, string> = {}) {
  const req = await authorizationRequest(rp, redirectURI, scope, extra);
  const landing = await loginWithPassword(formDriver(h.fetch, h.url), req.url.href, "jane", "correct horse");
  assert.ok(landing.redirectedTo, `expected a redirect to the client, got ${landing.status}`);
  return { ...req, callback: landing.redirectedTo };
}

async function oauthError(p: Promise<unknown>): Promise<string> {
  const e = await p.then(() => undefined, (err: unknown) => err as { error?: string; code?: string });
  assert.ok(e !== undefined, "expected the request to fail");
  return e.error ?? e.code ?? "no error";
}

describe("authorization code with PKCE", () => {
  test("a public client gets an ID token with the requested claims, state and nonce carried", async () => {
    const rp = await h.rp("kubectl");
    const r = await codeFor(rp, KUBECTL_REDIRECT, "openid email profile groups");
    assert.equal(r.callback.searchParams.get("state"), r.state);
    const tokens = await client.authorizationCodeGrant(rp, r.callback, { pkceCodeVerifier: r.verifier, expectedState: r.state, expectedNonce: r.nonce });
    const claims = tokens.claims();
    assert.ok(claims);
    assert.equal(claims.iss, h.url);
    assert.equal(claims.sub, subjectFor("local", "u-jane"));
    assert.equal(claims.aud, "kubectl");
    assert.equal(claims.nonce, r.nonce);
    assert.deepEqual(claims.groups, ["dev", "ops"]);
    assert.equal(claims.email, "jane@example.com");
    assert.equal(claims.email_verified, true);
    assert.equal(claims.name, "jane");
    assert.equal(claims.preferred_username, "jane");
    assert.equal(claims.exp - claims.iat, 600, "ID tokens live 10 minutes by default");
    assert.equal(claims.nbf, claims.iat);
    assert.equal(typeof claims.jti, "string");
    assert.equal(typeof claims.auth_time, "number");
    const keys = await h.storage.listSigningKeys();
    assert.ok(keys.some((k) => k.state === "next"), "a next key is published too");
    assert.equal(decodeProtectedHeader(tokens.id_token ?? "").kid, keys.find((k) => k.state === "active")?.kid, "signed by the active key");
    assert.equal(tokens.refresh_token, undefined, "no refresh token without offline_access");
  });

  test("without the groups, email and profile scopes those claims stay out", async () => {
    const rp = await h.rp("kubectl");
    const r = await codeFor(rp, KUBECTL_REDIRECT, "openid");
    const claims = (await client.authorizationCodeGrant(rp, r.callback, { pkceCodeVerifier: r.verifier, expectedState: r.state, expectedNonce: r.nonce })).claims();
    assert.ok(claims);
    for (const name of ["groups", "email", "email_verified", "name", "preferred_username"]) assert.equal(claims[name], undefined, name);
  });

  test("a loopback redirect URI matches on any port (RFC 8252 §7.3)", async () => {
    const rp = await h.rp("kubectl");
    const redirect = "http://127.0.0.1:53117/callback";
    const r = await codeFor(rp, redirect, "openid");
    assert.equal(r.callback.origin, "http://127.0.0.1:53117");
    const tokens = await client.authorizationCodeGrant(rp, r.callback, { pkceCodeVerifier: r.verifier, expectedState: r.state, expectedNonce: r.nonce });
    assert.ok(tokens.id_token);
  });

  test("a confidential client is refused with a wrong secret (invalid_client)", async () => {
    const rp = await h.rp("web", "web-secret");
    const req = await authorizationRequest(rp, WEB_REDIRECT, "openid");
    const landing = await loginWithPassword(formDriver(h.fetch, h.url), req.url.href, "jane", "correct horse");
    assert.ok(landing.redirectedTo);
    const code = landing.redirectedTo.searchParams.get("code") ?? "";
    const wrong = await tokenRequest(h, { grant_type: "authorization_code", code, redirect_uri: WEB_REDIRECT, code_verifier: req.verifier }, "web", "not-the-secret");
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.error, "invalid_client");
    const right = await tokenRequest(h, { grant_type: "authorization_code", code, redirect_uri: WEB_REDIRECT, code_verifier: req.verifier }, "web", "web-secret");
    assert.equal(right.status, 200);
    assert.equal(typeof right.body.id_token, "string");
  });
});

describe("refusals a client sees as OAuth errors", () => {
  test("a wrong PKCE verifier is invalid_grant", async () => {
    const rp = await h.rp("kubectl");
    const r = await codeFor(rp, KUBECTL_REDIRECT, "openid");
    const err = await oauthError(client.authorizationCodeGrant(rp, r.callback, { pkceCodeVerifier: client.randomPKCECodeVerifier(), expectedState: r.state }));
    assert.equal(err, "invalid_grant");
  });

  test("a code used twice is invalid_grant the second time", async () => {
    const rp = await h.rp("kubectl");
    const r = await codeFor(rp, KUBECTL_REDIRECT, "openid");
    const fields = { grant_type: "authorization_code", code: r.callback.searchParams.get("code") ?? "", redirect_uri: KUBECTL_REDIRECT, code_verifier: r.verifier };
    assert.equal((await tokenRequest(h, fields, "kubectl")).status, 200);
    const again = await tokenRequest(h, fields, "kubectl");
    assert.equal(again.status, 400);
    assert.equal(again.body.error, "invalid_grant");
  });

  test("an expired code is invalid_grant", async () => {
    const rp = await h.rp("kubectl");
    const r = await codeFor(rp, KUBECTL_REDIRECT, "openid");
    clock.advance(61_000);
    const res = await tokenRequest(h, { grant_type: "authorization_code", code: r.callback.searchParams.get("code") ?? "", redirect_uri: KUBECTL_REDIRECT, code_verifier: r.verifier }, "kubectl");
    assert.equal(res.status, 400);
    assert.equal(res.body.error, "invalid_grant");
  });

  test("a redirect_uri differing from the authorization request's is invalid_grant at the token endpoint", async () => {
    const rp = await h.rp("kubectl");
    const r = await codeFor(rp, KUBECTL_REDIRECT, "openid");
    const res = await tokenRequest(h, { grant_type: "authorization_code", code: r.callback.searchParams.get("code") ?? "", redirect_uri: "http://127.0.0.1:8000/other", code_verifier: r.verifier }, "kubectl");
    assert.equal(res.body.error, "invalid_grant");
  });

  test("an unregistered redirect_uri gets a readable error page, not a redirect", async () => {
    const rp = await h.rp("kubectl");
    const req = await authorizationRequest(rp, "https://evil.example.com/callback", "openid");
    const landing = await formDriver(h.fetch, h.url).get(req.url.href);
    assert.equal(landing.redirectedTo, undefined);
    assert.equal(landing.status, 400);
    assert.match(landing.html, /Sign-in failed/);
    assert.match(landing.html, /invalid_redirect_uri/);
    assert.doesNotMatch(landing.html, /at .*\.js:\d+/, "no stack trace");
  });

  test("a non-loopback redirect URI with another port is refused", async () => {
    const rp = await h.rp("web", "web-secret");
    const req = await authorizationRequest(rp, "https://app.example.com:8443/callback", "openid");
    const landing = await formDriver(h.fetch, h.url).get(req.url.href);
    assert.equal(landing.redirectedTo, undefined);
    assert.match(landing.html, /invalid_redirect_uri/);
  });

  test("plain PKCE is refused (invalid_request back at the client)", async () => {
    const rp = await h.rp("kubectl");
    const verifier = client.randomPKCECodeVerifier();
    const url = client.buildAuthorizationUrl(rp, { redirect_uri: KUBECTL_REDIRECT, scope: "openid", state: "s", code_challenge: verifier, code_challenge_method: "plain" });
    const landing = await formDriver(h.fetch, h.url).get(url.href);
    assert.equal(landing.redirectedTo?.searchParams.get("error"), "invalid_request");
    assert.match(landing.redirectedTo?.searchParams.get("error_description") ?? "", /code_challenge_method/);
  });

  test("a public client without PKCE is refused (invalid_request)", async () => {
    const rp = await h.rp("kubectl");
    const url = client.buildAuthorizationUrl(rp, { redirect_uri: KUBECTL_REDIRECT, scope: "openid", state: "s" });
    const landing = await formDriver(h.fetch, h.url).get(url.href);
    assert.equal(landing.redirectedTo?.searchParams.get("error"), "invalid_request");
  });

  test("denying the approval sends access_denied to the client", async () => {
    const rp = await h.rp("web", "web-secret");
    const req = await authorizationRequest(rp, WEB_REDIRECT, "openid groups");
    const landing = await loginWithPassword(formDriver(h.fetch, h.url), req.url.href, "jane", "correct horse", "deny");
    assert.equal(landing.redirectedTo?.origin + (landing.redirectedTo?.pathname ?? ""), WEB_REDIRECT);
    assert.equal(landing.redirectedTo?.searchParams.get("error"), "access_denied");
    assert.equal(landing.redirectedTo?.searchParams.get("state"), req.state);
  });

  test("an unknown grant type is unsupported_grant_type", async () => {
    const res = await tokenRequest(h, { grant_type: "urn:example:made-up" }, "kubectl");
    assert.equal(res.body.error, "unsupported_grant_type");
  });
});

describe("the login pages", () => {
  test("a wrong password shows the form again with a readable error and nothing internal", async () => {
    const rp = await h.rp("kubectl");
    const req = await authorizationRequest(rp, KUBECTL_REDIRECT, "openid");
    const d = formDriver(h.fetch, h.url);
    const page = await d.get(req.url.href);
    const form = page.forms.find((f) => "password" in f.fields);
    assert.ok(form);
    const wrong = await d.post(form.action, { ...form.fields, login: "jane", password: "wrong" });
    assert.equal(wrong.status, 401);
    assert.match(wrong.html, /Invalid username or password\./);
    assert.match(wrong.html, /value="jane"/, "the username is kept");
    assert.doesNotMatch(wrong.html, /u-jane|correct horse|Error:|stack/);
  });

  test("every page has a strict CSP, and a POST without the CSRF token is refused with a page", async () => {
    const rp = await h.rp("web", "web-secret");
    const req = await authorizationRequest(rp, WEB_REDIRECT, "openid");
    const d = formDriver(h.fetch, h.url);
    const page = await d.get(req.url.href);
    const csp = page.headers.get("content-security-policy") ?? "";
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /style-src 'self'(;|$)/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.match(csp, /form-action 'self' https:\/\/app\.example\.com(;|$)/);
    assert.doesNotMatch(page.html, /<script|style=/);
    const form = page.forms.find((f) => "password" in f.fields);
    assert.ok(form);
    const forged = await d.post(form.action, { login: "jane", password: "correct horse" });
    assert.equal(forged.status, 403);
    assert.match(forged.html, /This form has expired/);
    assert.equal(forged.redirectedTo, undefined);
  });

  test("a malformed login path is a readable 400, not a server error", async () => {
    const res = await formDriver(h.fetch, h.url).get(`${h.url}/login/%E0%A4%A`);
    assert.equal(res.status, 400);
    assert.match(res.html, /This sign-in cannot continue/);
  });

  test("a login page for an interaction of another browser is refused readably", async () => {
    const rp = await h.rp("kubectl");
    const req = await authorizationRequest(rp, KUBECTL_REDIRECT, "openid");
    const mine = await formDriver(h.fetch, h.url).get(req.url.href);
    const stranger = await formDriver(h.fetch, h.url).get(mine.url);
    assert.equal(stranger.status, 400);
    assert.match(stranger.html, /expired or is not valid/);
  });
});
