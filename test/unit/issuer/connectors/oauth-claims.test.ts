/** The oauth connector's claim paths and config checks. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ConfigError } from "../../../../src/config/errors.ts";
import { isKubewardError } from "../../../../src/errors.ts";
import { identityFromUserInfo, valueAt } from "../../../../src/issuer/connectors/oauth/oauth-claims.ts";
import { checkOAuthConfig, type OAuthConfig } from "../../../../src/issuer/connectors/oauth/oauth-config.ts";

const config: OAuthConfig = { authorizationURL: "https://a", tokenURL: "https://t", userInfoURL: "https://u", clientID: "c", clientSecret: "s" };
const scopes = { offlineAccess: false, groups: true };

test("valueAt follows dots into nested objects, and prefers a key that holds the dots itself", () => {
  const doc = { a: { b: { c: 1 } }, "x.y": 2, x: { y: 3 } };
  assert.equal(valueAt(doc, "a.b.c"), 1);
  assert.equal(valueAt(doc, "x.y"), 2);
  assert.equal(valueAt(doc, "a.missing.c"), undefined);
  assert.equal(valueAt("not an object", "a"), undefined);
});

test("identityFromUserInfo: wrong types are invalid callbacks; email_verified may be the string true", () => {
  assert.throws(() => identityFromUserInfo({ id: { nested: true }, user_name: "a" }, config, scopes), (e) => isKubewardError(e, "connector_callback_invalid"));
  assert.throws(() => identityFromUserInfo({ id: "1", user_name: "a", groups: [7] }, config, scopes), (e) => isKubewardError(e, "connector_callback_invalid"));
  assert.equal(identityFromUserInfo({ id: "1", user_name: "a", email: "a@x", email_verified: "true" }, config, scopes).emailVerified, true);
  assert.deepEqual(identityFromUserInfo({ id: "1", user_name: "a", groups: "solo" }, config, scopes).groups, ["solo"]);
});

test("insecureSkipVerify with rootCAs is refused; a rootCAs entry that is not a certificate is named", async () => {
  await assert.rejects(checkOAuthConfig({ ...config, insecureSkipVerify: true, rootCAs: ["/x"] }), (e) => e instanceof ConfigError && e.problems.some((p) => p.path === "insecureSkipVerify"));
  await assert.rejects(checkOAuthConfig({ ...config, rootCAs: ["-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----"] }), (e) => e instanceof ConfigError && e.problems[0]?.path === "rootCAs[0]");
});
