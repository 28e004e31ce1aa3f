import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { isKubewardError, type ErrorCode } from "../../../src/errors.ts";
import {
  CREDENTIAL_ID_EXTRA_KEY, checkRequiredClaims, mapClaims, mapExtra, mapGroups, mapUid, mapUsername, type ClaimMappingConfig,
} from "../../../src/auth/claim-mapping.ts";

const base: ClaimMappingConfig = {
  usernameClaim: "sub", usernamePrefix: "https://issuer.example#", groupsClaim: "groups", groupsPrefix: "", requiredClaims: {},
};
const emailConfig: ClaimMappingConfig = { ...base, usernameClaim: "email", usernamePrefix: "" };

function refusedWith(code: ErrorCode): (e: unknown) => boolean {
  return (e) => {
    assert.ok(isKubewardError(e), String(e));
    assert.equal(e.code, code);
    return true;
  };
}

test("username is the prefix followed by the claim", () => {
  assert.equal(mapUsername({ sub: "alice" }, base), "https://issuer.example#alice");
  assert.equal(mapUsername({ sub: "alice" }, { ...base, usernamePrefix: "" }), "alice");
  assert.equal(mapUsername({ upn: "bob" }, { ...base, usernameClaim: "upn", usernamePrefix: "oidc:" }), "oidc:bob");
});

test("username: an absent claim is token_claim_missing; a non-string is token_claim_invalid", () => {
  assert.throws(() => mapUsername({}, base), refusedWith("token_claim_missing"));
  for (const sub of [42, true, ["alice"], { name: "alice" }]) {
    assert.throws(() => mapUsername({ sub }, base), refusedWith("token_claim_invalid"), JSON.stringify(sub));
  }
});

// As kube-apiserver 1.34 does (test/e2e/fidelity): the username is the bare prefix.
test("username: an empty or null claim gives the bare prefix; with no prefix it is token_claim_invalid", () => {
  for (const sub of ["", null]) {
    assert.equal(mapUsername({ sub }, base), "https://issuer.example#", JSON.stringify(sub));
    assert.throws(() => mapUsername({ sub }, { ...base, usernamePrefix: "" }), refusedWith("token_claim_invalid"), JSON.stringify(sub));
  }
});

test("username from a claim named like an Object.prototype member is looked up on the claims only", () => {
  assert.throws(() => mapUsername({}, { ...base, usernameClaim: "constructor" }), refusedWith("token_claim_missing"));
  assert.throws(() => mapUsername({}, { ...base, usernameClaim: "__proto__" }), refusedWith("token_claim_missing"));
});

test("email username: email_verified absent or true is accepted", () => {
  assert.equal(mapUsername({ email: "a@example.com" }, emailConfig), "a@example.com");
  assert.equal(mapUsername({ email: "a@example.com", email_verified: true }, emailConfig), "a@example.com");
});

test("email username: email_verified false, null, or the string \"true\" is token_email_unverified", () => {
  for (const v of [false, null, "true", 1, "false"]) {
    assert.throws(() => mapUsername({ email: "a@example.com", email_verified: v }, emailConfig), refusedWith("token_email_unverified"), JSON.stringify(v));
  }
});

test("email_verified only matters when the username claim is exactly email", () => {
  assert.equal(mapUsername({ sub: "alice", email_verified: false }, base), "https://issuer.example#alice");
  const mail = { ...base, usernameClaim: "mail", usernamePrefix: "" };
  assert.equal(mapUsername({ mail: "a@example.com", email_verified: false }, mail), "a@example.com");
});

test("groups: an array of strings, each prefixed", () => {
  assert.deepEqual(mapGroups({ groups: ["dev", "ops"] }, { ...base, groupsPrefix: "oidc:" }), ["oidc:dev", "oidc:ops"]);
  assert.deepEqual(mapGroups({ groups: [] }, base), []);
});

test("groups: a single string is one group", () => {
  assert.deepEqual(mapGroups({ groups: "admins" }, { ...base, groupsPrefix: "g:" }), ["g:admins"]);
});

test("groups: absent or null means no groups; no groups claim configured means no groups", () => {
  assert.deepEqual(mapGroups({}, base), []);
  assert.deepEqual(mapGroups({ groups: null }, base), []);
  const { groupsClaim: _omit, ...noGroups } = base;
  assert.deepEqual(mapGroups({ groups: ["dev"] }, noGroups), []);
});

test("groups: a number, an object, a boolean or an array with a non-string is token_claim_invalid", () => {
  for (const groups of [42, { a: 1 }, true, ["dev", 7], [["nested"]]]) {
    assert.throws(() => mapGroups({ groups }, base), refusedWith("token_claim_invalid"), JSON.stringify(groups));
  }
});

test("uid: taken from the configured claim; absent is token_claim_missing, non-string token_claim_invalid", () => {
  const cfg = { ...base, uidClaim: "oid" };
  assert.equal(mapUid({ oid: "1234" }, cfg), "1234");
  assert.equal(mapUid({ oid: "" }, cfg), undefined);
  assert.equal(mapUid({ oid: "1234" }, base), undefined);
  assert.throws(() => mapUid({}, cfg), refusedWith("token_claim_missing"));
  assert.throws(() => mapUid({ oid: 1234 }, cfg), refusedWith("token_claim_invalid"));
});

test("jti becomes the credential-id extra as JTI=<jti>; empty or non-string jti adds nothing", () => {
  assert.deepEqual(mapExtra({ jti: "abc-123" }), { [CREDENTIAL_ID_EXTRA_KEY]: ["JTI=abc-123"] });
  assert.equal(CREDENTIAL_ID_EXTRA_KEY, "authentication.kubernetes.io/credential-id");
  for (const jti of [undefined, "", 5, null, ["x"]]) assert.deepEqual(mapExtra(jti === undefined ? {} : { jti }), {});
});

test("required claims: all present and equal passes", () => {
  checkRequiredClaims({ hd: "example.com", tier: "gold" }, { hd: "example.com", tier: "gold" });
});

test("required claims: absent is token_claim_missing; different or non-string is token_claim_mismatch", () => {
  assert.throws(() => checkRequiredClaims({}, { hd: "example.com" }), refusedWith("token_claim_missing"));
  assert.throws(() => checkRequiredClaims({ hd: "evil.com" }, { hd: "example.com" }), refusedWith("token_claim_mismatch"));
  assert.throws(() => checkRequiredClaims({ hd: ["example.com"] }, { hd: "example.com" }), refusedWith("token_claim_mismatch"));
  assert.throws(() => checkRequiredClaims({ n: 1 }, { n: "1" }), refusedWith("token_claim_mismatch"));
});

test("mapClaims builds the whole identity and checks in kube-apiserver's order (username before required claims)", () => {
  const cfg = { ...base, uidClaim: "oid", groupsPrefix: "oidc:", requiredClaims: { hd: "example.com" } };
  assert.deepEqual(mapClaims({ sub: "alice", oid: "u1", groups: ["dev"], jti: "t1", hd: "example.com" }, cfg), {
    username: "https://issuer.example#alice", uid: "u1", groups: ["oidc:dev"], extra: { [CREDENTIAL_ID_EXTRA_KEY]: ["JTI=t1"] },
  });
  assert.deepEqual(mapClaims({ sub: "bob", oid: "u2", hd: "example.com" }, cfg), {
    username: "https://issuer.example#bob", uid: "u2", groups: [], extra: {},
  });
  assert.throws(() => mapClaims({ groups: 1 }, cfg), refusedWith("token_claim_missing"));
  assert.throws(() => mapClaims({ sub: "a", groups: 1 }, cfg), refusedWith("token_claim_invalid"));
  assert.throws(() => mapClaims({ sub: "a", oid: "u" }, cfg), refusedWith("token_claim_missing"));
});

test("property: any non-empty string username claim maps to prefix + claim, for any prefix", () => {
  fc.assert(fc.property(fc.string(), fc.string({ minLength: 1 }), (prefix, sub) => {
    assert.equal(mapUsername({ sub }, { ...base, usernamePrefix: prefix }), prefix + sub);
  }));
});

test("property: groups keep their order and count, each with the prefix; a string equals a one-element array", () => {
  fc.assert(fc.property(fc.string(), fc.array(fc.string()), (prefix, groups) => {
    const cfg = { ...base, groupsPrefix: prefix };
    assert.deepEqual(mapGroups({ groups }, cfg), groups.map((g) => prefix + g));
    for (const g of groups) assert.deepEqual(mapGroups({ groups: g }, cfg), mapGroups({ groups: [g] }, cfg));
  }));
});

test("property: a groups claim that is neither a string, null, nor an array of strings is always refused", () => {
  const notGroups = fc.oneof(fc.integer(), fc.boolean(), fc.double(), fc.dictionary(fc.string(), fc.string()),
    fc.array(fc.oneof(fc.integer(), fc.boolean()), { minLength: 1 }));
  fc.assert(fc.property(notGroups, (groups) => {
    assert.throws(() => mapGroups({ groups }, base), refusedWith("token_claim_invalid"));
  }));
});

test("property: required claims pass exactly when every value is present and equal", () => {
  fc.assert(fc.property(fc.dictionary(fc.string({ minLength: 1 }), fc.string()), fc.dictionary(fc.string({ minLength: 1 }), fc.string()),
    (claims, required) => {
      const ok = Object.entries(required).every(([k, v]) => Object.hasOwn(claims, k) && claims[k] === v);
      if (ok) checkRequiredClaims(claims, required);
      else assert.throws(() => checkRequiredClaims(claims, required), (e) => isKubewardError(e, "token_claim_missing", "token_claim_mismatch"));
    }));
});
