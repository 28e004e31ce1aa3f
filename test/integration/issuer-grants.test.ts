/**
 * Grants for automation and shared logins: client credentials, RFC 8693
 * token exchange, trusted-peer audiences, the password grant; and the
 * endpoints around tokens (discovery, userinfo, introspection, revocation).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as client from "openid-client";
import { decodeJwt } from "jose";
import { authorizationRequest, KUBECTL_REDIRECT, startIssuerHarness, tokenRequest, type Harness } from "./issuer-harness.ts";
import { formDriver, loginWithPassword } from "./issuer-browserless.ts";

const EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
const ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token";
let h: Harness;
before(async () => {
  h = await startIssuerHarness();
});
after(() => h.close());

async function kubectlLogin(scope: string) {
  const rp = await h.rp("kubectl");
  const req = await authorizationRequest(rp, KUBECTL_REDIRECT, scope);
  const landing = await loginWithPassword(formDriver(h.fetch, h.url), req.url.href, "jane", "correct horse");
  assert.ok(landing.redirectedTo);
  return client.authorizationCodeGrant(rp, landing.redirectedTo, { pkceCodeVerifier: req.verifier, expectedState: req.state, expectedNonce: req.nonce });
}

describe("trusted peers", () => {
  test("audience:server:client_id:web puts web into aud when web trusts kubectl", async () => {
    const tokens = await kubectlLogin("openid groups audience:server:client_id:web");
    const claims = decodeJwt(tokens.id_token ?? "");
    assert.deepEqual(claims.aud, ["web", "kubectl"]);
    assert.equal(claims.azp, "kubectl");
  });

  test("asking for the audience of a client that does not trust you is invalid_scope", async () => {
    const rp = await h.rp("kubectl");
    const req = await authorizationRequest(rp, KUBECTL_REDIRECT, "openid audience:server:client_id:robot");
    const landing = await formDriver(h.fetch, h.url).get(req.url.href);
    assert.equal(landing.redirectedTo?.searchParams.get("error"), "invalid_scope");
  });
});

describe("token exchange (RFC 8693)", () => {
  test("kubectl trades its ID token for one whose audience is web, which trusts it", async () => {
    const tokens = await kubectlLogin("openid groups email");
    const rp = await h.rp("kubectl");
    const res = await client.genericGrantRequest(rp, EXCHANGE, {
      subject_token: tokens.id_token ?? "", subject_token_type: ID_TOKEN_TYPE, requested_token_type: ID_TOKEN_TYPE, audience: "web",
    });
    assert.equal(res.issued_token_type, ID_TOKEN_TYPE);
    const claims = decodeJwt(res.access_token);
    assert.equal(claims.aud, "web");
    assert.equal(claims.azp, "kubectl");
    assert.equal(claims.sub, tokens.claims()?.sub);
    assert.deepEqual(claims.groups, ["dev", "ops"]);
    assert.notEqual(claims.jti, tokens.claims()?.jti);
  });

  test("an audience that does not trust the client is invalid_target; a forged subject token invalid_grant", async () => {
    const tokens = await kubectlLogin("openid");
    const base = { grant_type: EXCHANGE, subject_token: tokens.id_token ?? "", subject_token_type: ID_TOKEN_TYPE };
    const untrusted = await tokenRequest(h, { ...base, audience: "robot" }, "kubectl");
    assert.equal(untrusted.body.error, "invalid_target");
    const [head, body] = (tokens.id_token ?? "").split(".");
    const forged = await tokenRequest(h, { ...base, subject_token: `${head}.${body}.AAAA` }, "kubectl");
    assert.equal(forged.body.error, "invalid_grant");
    const otherClient = await tokenRequest(h, { ...base }, "web", "web-secret");
    assert.equal(otherClient.body.error, "invalid_grant", "a token issued to kubectl is not web's to exchange");
    const badType = await tokenRequest(h, { ...base, subject_token_type: "urn:x" }, "kubectl");
    assert.equal(badType.body.error, "invalid_request");
  });
});

describe("client credentials", () => {
  test("a confidential client enabled for it gets an access token that introspects as active", async () => {
    const rp = await h.rp("robot", "robot-secret");
    const tokens = await client.clientCredentialsGrant(rp, { scope: "openid" });
    assert.ok(tokens.access_token);
    const info = await client.tokenIntrospection(rp, tokens.access_token);
    assert.equal(info.active, true);
    assert.equal(info.client_id, "robot");
  });

  test("a client not enabled for it is refused", async () => {
    const res = await tokenRequest(h, { grant_type: "client_credentials" }, "web", "web-secret");
    assert.equal(res.status, 400);
    assert.match(String(res.body.error), /invalid_request|unauthorized_client/);
  });
});

describe("password grant", () => {
  test("right credentials give ID and refresh tokens; a wrong password is invalid_grant", async () => {
    const ok = await tokenRequest(h, { grant_type: "password", username: "jane", password: "correct horse", scope: "openid groups offline_access" }, "pw", "pw-secret");
    assert.equal(ok.status, 200);
    const claims = decodeJwt(String(ok.body.id_token));
    assert.equal(claims.aud, "pw");
    assert.deepEqual(claims.groups, ["dev", "ops"]);
    assert.equal(typeof claims.jti, "string");
    const refreshed = await tokenRequest(h, { grant_type: "refresh_token", refresh_token: String(ok.body.refresh_token) }, "pw", "pw-secret");
    assert.equal(refreshed.status, 200);
    const wrong = await tokenRequest(h, { grant_type: "password", username: "jane", password: "nope", scope: "openid" }, "pw", "pw-secret");
    assert.equal(wrong.body.error, "invalid_grant");
  });

  test("a client without the password grant cannot use it", async () => {
    const res = await tokenRequest(h, { grant_type: "password", username: "jane", password: "correct horse" }, "web", "web-secret");
    assert.equal(res.status, 400);
    assert.equal(res.body.access_token, undefined);
    assert.match(String(res.body.error), /invalid_request|unauthorized_client/);
  });
});

describe("endpoints around tokens", () => {
  test("discovery announces the endpoints, S256 only, and the scopes", async () => {
    const rp = await h.rp("kubectl");
    const meta = rp.serverMetadata();
    assert.equal(meta.issuer, h.url);
    assert.deepEqual(meta.code_challenge_methods_supported, ["S256"]);
    for (const e of ["jwks_uri", "userinfo_endpoint", "introspection_endpoint", "revocation_endpoint", "device_authorization_endpoint"] as const) {
      assert.ok(meta[e], e);
    }
    assert.ok(meta.scopes_supported?.includes("groups"));
  });

  test("userinfo answers the access token's claims; revocation (RFC 7009) ends a refresh token", async () => {
    const tokens = await kubectlLogin("openid email groups offline_access");
    const rp = await h.rp("kubectl");
    const info = await client.fetchUserInfo(rp, tokens.access_token, tokens.claims()?.sub ?? "");
    assert.equal(info.email, "jane@example.com");
    await client.tokenRevocation(rp, tokens.refresh_token ?? "");
    const res = await tokenRequest(h, { grant_type: "refresh_token", refresh_token: tokens.refresh_token ?? "" }, "kubectl");
    assert.equal(res.body.error, "invalid_grant");
  });
});
