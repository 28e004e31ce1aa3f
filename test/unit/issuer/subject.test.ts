/** The sub claim is Dex's encoding of (user id, connector id). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { subjectFor } from "../../../src/issuer/subject.ts";

test("matches Dex's subject for its documented static user", () => {
  assert.equal(subjectFor("local", "08a8684b-db88-4b73-90a9-3cd1661f5466"), "CiQwOGE4Njg0Yi1kYjg4LTRiNzMtOTBhOS0zY2QxNjYxZjU0NjYSBWxvY2Fs");
});

test("differs by connector and by user, and is stable", () => {
  assert.notEqual(subjectFor("ldap", "jane"), subjectFor("local", "jane"));
  assert.notEqual(subjectFor("local", "jane"), subjectFor("local", "john"));
  assert.equal(subjectFor("local", "jane"), subjectFor("local", "jane"));
  const long = "x".repeat(300);
  assert.equal(Buffer.from(subjectFor("c", long), "base64url").subarray(0, 3).toString("hex"), "0aac02", "lengths over 127 use a varint");
});
