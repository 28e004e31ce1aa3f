/** RFC 4515 escaping of the values the ldap connector puts in search filters. */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { MATCHING_RULE_IN_CHAIN, andFilter, equalityFilter, escapeFilterValue, orFilter } from "../../../../src/issuer/connectors/ldap/ldap-filter.ts";

test("the filter metacharacters and NUL are hex-escaped; other characters are kept", () => {
  assert.equal(escapeFilterValue("*)(uid=*"), "\\2a\\29\\28uid=\\2a");
  assert.equal(escapeFilterValue("admin)(|(uid=*"), "admin\\29\\28|\\28uid=\\2a");
  assert.equal(escapeFilterValue("a\\b\0c"), "a\\5cb\\00c");
  assert.equal(escapeFilterValue("Zoë O'Brien, Jr."), "Zoë O'Brien, Jr.");
});

test("no escaped value can open or close a filter component or add a wildcard", () => {
  fc.assert(fc.property(fc.string({ unit: "binary" }), (value) => {
    const escaped = escapeFilterValue(value);
    assert.ok(!/[()*\0]/.test(escaped));
    assert.ok(!/\\(?![0-9a-f]{2})/.test(escaped), "every backslash starts a hex pair");
    assert.equal(escaped.replace(/\\([0-9a-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), value);
  }));
});

test("filters: equality, AD's in-chain rule, AND with the configured filter, OR of matches", () => {
  assert.equal(equalityFilter("uid", "j*"), "(uid=j\\2a)");
  assert.equal(equalityFilter("member", "cn=a(b),dc=x", MATCHING_RULE_IN_CHAIN), "(member:1.2.840.113556.1.4.1941:=cn=a\\28b\\29,dc=x)");
  assert.equal(andFilter(undefined, "(uid=a)"), "(uid=a)");
  assert.equal(andFilter("(objectClass=person)", "(uid=a)"), "(&(objectClass=person)(uid=a))");
  assert.equal(orFilter(["(a=1)"]), "(a=1)");
  assert.equal(orFilter(["(a=1)", "(b=2)"]), "(|(a=1)(b=2))");
});
