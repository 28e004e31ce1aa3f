/**
 * kubeward's own issuer and kubeward's own proxy verifier agree: an ID token
 * the embedded issuer signs passes createAuthenticator (src/auth) configured
 * for this issuer, with the username and groups the proxy will impersonate.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createAuthenticator } from "../../src/auth/create-authenticator.ts";
import type { TokenAuthenticator } from "../../src/auth/authenticator.ts";
import { systemClock } from "../../src/clock.ts";
import { createLogger } from "../../src/log/logger.ts";
import { Metrics } from "../../src/metrics/metrics.ts";
import { startIssuerHarness, tokenRequest, type Harness } from "./issuer-harness.ts";

let h: Harness;
let authn: TokenAuthenticator;
before(async () => {
  h = await startIssuerHarness();
  authn = createAuthenticator([{
    issuerUrl: h.url, audiences: ["pw"], caPem: h.caPem, usernameClaim: "email", usernamePrefix: "",
    groupsClaim: "groups", groupsPrefix: "oidc:", signingAlgs: ["RS256"], requiredClaims: {},
  }], { clock: systemClock, logger: createLogger({ level: "silent" }), metrics: new Metrics() });
  await authn.start();
});
after(async () => {
  authn.close();
  await h.close();
});

test("an ID token from the embedded issuer authenticates at the proxy as jane with her groups", async () => {
  assert.ok(authn.ready(), "the verifier loaded the issuer's keys");
  const res = await tokenRequest(h, { grant_type: "password", username: "jane", password: "correct horse", scope: "openid email groups" }, "pw", "pw-secret");
  const auth = await authn.authenticate(String(res.body.id_token));
  assert.equal(auth.user.username, "jane@example.com");
  assert.deepEqual(auth.user.groups, ["oidc:dev", "oidc:ops"]);
  assert.equal(auth.issuer, h.url);
});
