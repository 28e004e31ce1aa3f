import { test } from "node:test";
import assert from "node:assert/strict";
import { CATALOGUE, KubewardError, isKubewardError } from "../../src/errors.ts";

test("every catalogue entry has an HTTP status and a summary a user can read", () => {
  for (const [code, entry] of Object.entries(CATALOGUE)) {
    assert.match(code, /^[a-z]+(_[a-z]+)*$/, code);
    assert.ok(entry.status >= 400 && entry.status < 600, code);
    assert.ok(entry.summary.length > 10 && !entry.summary.endsWith("."), code);
  }
});

test("a KubewardError keeps its detail apart from the message a client sees", () => {
  const e = new KubewardError("token_expired", "exp 1700000000 < now 1700000100");
  assert.equal(e.message, "the token has expired");
  assert.equal(e.status, 401);
  assert.equal(e.detail, "exp 1700000000 < now 1700000100");
  assert.ok(isKubewardError(e, "token_expired"));
  assert.ok(!isKubewardError(e, "token_malformed"));
  assert.ok(!isKubewardError(new Error("x")));
});
