/** A validated SAML profile becomes an identity: required NameID and attributes, the NameID format asked for, groups. */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Profile } from "@node-saml/node-saml";
import { isKubewardError } from "../../../../src/errors.ts";
import { identityFromProfile } from "../../../../src/issuer/connectors/saml/saml-identity.ts";
import type { SamlConfig } from "../../../../src/issuer/connectors/saml/saml-config.ts";

const PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";
const TRANSIENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient";
const UNSPECIFIED = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified";
const config: SamlConfig = { ssoURL: "https://idp.test/sso", caData: "x", usernameAttr: "uid", emailAttr: "mail", groupsAttr: "memberOf" };
const ALL = { offlineAccess: false, groups: true };

function profile(nameIDFormat: string, attributes: Record<string, unknown>, nameID = "id-123"): Profile {
  return { issuer: "https://idp.test", nameID, nameIDFormat, attributes } as Profile;
}

const invalid = (f: () => unknown, detail: RegExp) => assert.throws(f, (e) => isKubewardError(e, "connector_callback_invalid") && detail.test(e.detail ?? ""));

test("NameID is the user id; single and multi-valued attributes are read; duplicate groups are dropped", () => {
  const p = profile(PERSISTENT, { uid: "jane", mail: ["jane@example.org"], memberOf: ["a", "b", "a"] });
  assert.deepEqual(identityFromProfile(p, config, PERSISTENT, ALL), { userID: "id-123", username: "jane", email: "jane@example.org", emailVerified: true, groups: ["a", "b"] });
  assert.deepEqual(identityFromProfile(profile(PERSISTENT, { uid: "jane", mail: "j@x" }), config, PERSISTENT, ALL).groups, []);
});

test("a missing NameID or attribute, or a NameID in another format than asked, is refused", () => {
  invalid(() => identityFromProfile(profile(PERSISTENT, { uid: "jane", mail: "j@x" }, ""), config, PERSISTENT, ALL), /no NameID/);
  invalid(() => identityFromProfile(profile(PERSISTENT, { mail: "j@x" }), config, PERSISTENT, ALL), /"uid" attribute \(usernameAttr\)/);
  invalid(() => identityFromProfile(profile(PERSISTENT, { uid: "jane", mail: "" }), config, PERSISTENT, ALL), /"mail" attribute \(emailAttr\)/);
  // A transient NameID changes at every login: it cannot stand for a persistent user id.
  invalid(() => identityFromProfile(profile(TRANSIENT, { uid: "jane", mail: "j@x" }), config, PERSISTENT, ALL), /NameID format/);
  assert.equal(identityFromProfile(profile(TRANSIENT, { uid: "jane", mail: "j@x" }), config, UNSPECIFIED, ALL).userID, "id-123");
});
