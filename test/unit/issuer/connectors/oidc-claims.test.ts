import { test } from "node:test";
import assert from "node:assert/strict";
import { isKubewardError, type ErrorCode } from "../../../../src/errors.ts";
import { identityFromClaims } from "../../../../src/issuer/connectors/oidc/oidc-claims.ts";
import type { OidcConfig } from "../../../../src/issuer/connectors/oidc/oidc-config.ts";

const base: OidcConfig = { issuer: "https://idp.example", clientID: "k", clientSecret: "s", insecureEnableGroups: true };
const ALL = { offlineAccess: false, groups: true };
const claims = { sub: "u1", name: "Alice", email: "a@example.com", email_verified: true, groups: ["dev"], roles: ["admin"], mail: "alice@corp.example" };
const refusedWith = (code: ErrorCode, f: () => unknown) => assert.throws(f, (e) => isKubewardError(e, code));

test("the standard claims make the identity", () => {
  assert.deepEqual(identityFromClaims(claims, base, ALL), { userID: "u1", username: "Alice", email: "a@example.com", emailVerified: true, groups: ["dev"] });
});

test("claimMapping fills in missing standard claims, and replaces them with overrideClaimMapping", () => {
  const mapping = { ...base, claimMapping: { email: "mail", groups: "roles", preferred_username: "name" } };
  const { email: _, groups: __, ...sparse } = claims;
  const filled = identityFromClaims(sparse, mapping, ALL);
  assert.deepEqual([filled.email, filled.groups, filled.preferredUsername], ["alice@corp.example", ["admin"], "Alice"]);
  const kept = identityFromClaims(claims, mapping, ALL);
  assert.deepEqual([kept.email, kept.groups], ["a@example.com", ["dev"]]);
  const overridden = identityFromClaims(claims, { ...mapping, overrideClaimMapping: true }, ALL);
  assert.deepEqual([overridden.email, overridden.groups], ["alice@corp.example", ["admin"]]);
});

test("groups are read only with insecureEnableGroups; a single string counts as one group", () => {
  assert.deepEqual(identityFromClaims(claims, { ...base, insecureEnableGroups: false }, ALL).groups, []);
  assert.deepEqual(identityFromClaims({ ...claims, groups: "dev" }, base, ALL).groups, ["dev"]);
  refusedWith("connector_callback_invalid", () => identityFromClaims({ ...claims, groups: [1] }, base, ALL));
});

test("a missing user id or name claim is an invalid upstream answer", () => {
  refusedWith("connector_callback_invalid", () => identityFromClaims({ ...claims, name: undefined }, base, ALL));
  refusedWith("connector_callback_invalid", () => identityFromClaims({ ...claims, sub: "" }, base, ALL));
  refusedWith("connector_callback_invalid", () => identityFromClaims(claims, { ...base, userIDKey: "oid" }, ALL));
});

test("hostedDomains refuses other domains; allowedGroups refuses non-members", () => {
  refusedWith("connector_refused", () => identityFromClaims({ ...claims, hd: "evil.example" }, { ...base, hostedDomains: ["example.com"] }, ALL));
  assert.equal(identityFromClaims({ ...claims, hd: "example.com" }, { ...base, hostedDomains: ["example.com"] }, ALL).userID, "u1");
  refusedWith("connector_refused", () => identityFromClaims(claims, { ...base, allowedGroups: ["ops"] }, ALL));
  // allowedGroups is checked even when the client did not ask for groups.
  refusedWith("connector_refused", () => identityFromClaims(claims, { ...base, allowedGroups: ["ops"] }, { offlineAccess: false, groups: false }));
});

test("a missing email_verified is refused, unless skipping, where it counts as verified (as Dex)", () => {
  refusedWith("connector_refused", () => identityFromClaims({ ...claims, email_verified: undefined }, base, ALL));
  assert.equal(identityFromClaims({ ...claims, email_verified: undefined }, { ...base, insecureSkipEmailVerified: true }, ALL).emailVerified, true);
  assert.equal(identityFromClaims({ ...claims, email: undefined }, base, ALL).email, undefined);
});
