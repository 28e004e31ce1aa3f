/** test/tools/upstream-oidc-provider.ts: the flows other suites rely on, driven by openid-client (a real RP). */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import * as client from "openid-client";
import { startUpstreamProvider, type UpstreamProvider } from "../tools/upstream-oidc-provider.ts";

/** A native client registers its loopback redirect without a port and uses any port (RFC 8252 §7.3). */
const REGISTERED = "http://127.0.0.1/callback";
const LOOPBACK = "http://127.0.0.1:43123/callback";
let up: UpstreamProvider;

before(async () => {
  up = await startUpstreamProvider({
    clients: [
      { client_id: "cli", token_endpoint_auth_method: "none", application_type: "native", redirect_uris: [REGISTERED],
        grant_types: ["authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:device_code"] },
      { client_id: "robot", client_secret: "robot-secret", grant_types: ["client_credentials"], redirect_uris: [], response_types: [] },
    ],
    accounts: [{ sub: "alice", password: "alice-pw", email: "alice@example.com", groups: ["dev"] }],
    idTokenTTL: 30,
  });
});
after(() => up.close());

const discover = (id: string, auth?: client.ClientAuth) =>
  client.discovery(new URL(up.issuer), id, undefined, auth ?? client.None(), { [client.customFetch]: up.fetch as client.CustomFetch });

test("a public loopback client logs in with PKCE, gets groups, and refreshes with current groups", async () => {
  const config = await discover("cli");
  const verifier = client.randomPKCECodeVerifier();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: LOOPBACK, scope: "openid email groups offline_access", prompt: "consent", state: "s1",
    code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: "S256",
  });
  const callback = await up.signIn(url.href, { login: "alice", password: "alice-pw" });
  assert.equal(callback.origin + callback.pathname, LOOPBACK);
  const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: "s1" });
  const claims = tokens.claims();
  assert.deepEqual([claims?.sub, claims?.["email"], claims?.["groups"]], ["alice", "alice@example.com", ["dev"]]);
  assert.equal((claims?.exp ?? 0) - (claims?.iat ?? 0), 30);
  assert.ok(tokens.refresh_token);
  up.setAccount({ sub: "alice", password: "alice-pw", email: "alice@example.com", groups: ["ops"] });
  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
  assert.deepEqual(refreshed.claims()?.["groups"], ["ops"]);
  await client.tokenRevocation(config, refreshed.refresh_token ?? "");
  await assert.rejects(client.refreshTokenGrant(config, refreshed.refresh_token ?? ""), (e: { error?: string }) => e.error === "invalid_grant");
});

test("a wrong password is refused at the upstream's form", async () => {
  const config = await discover("cli");
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: LOOPBACK, scope: "openid", code_challenge_method: "S256",
    code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
  });
  await assert.rejects(up.signIn(url.href, { login: "alice", password: "nope" }), /refused the login of alice/);
});

test("the device flow completes once the user enters the code", async () => {
  const config = await discover("cli");
  const device = await client.initiateDeviceAuthorization(config, { scope: "openid email groups" });
  const done = await up.signIn(device.verification_uri, { login: "alice", password: "alice-pw", userCode: device.user_code });
  assert.match(done.pathname, /^\/device/);
  const tokens = await client.pollDeviceAuthorizationGrant(config, { ...device, interval: 0.01 });
  assert.equal(tokens.claims()?.sub, "alice");
});

test("a confidential client gets an access token with client credentials", async () => {
  const config = await discover("robot", client.ClientSecretBasic("robot-secret"));
  const tokens = await client.clientCredentialsGrant(config);
  assert.ok(tokens.access_token.length > 10);
});
