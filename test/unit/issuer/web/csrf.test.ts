/** CSRF tokens are per interaction and per secret. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createCsrf } from "../../../../src/issuer/web/csrf.ts";

test("a token is valid for its interaction only, under its secret only", () => {
  const csrf = createCsrf("secret-one");
  const token = csrf.token("uid-1");
  assert.equal(csrf.valid("uid-1", token), true);
  assert.equal(csrf.valid("uid-2", token), false);
  assert.equal(createCsrf("secret-two").valid("uid-1", token), false);
  for (const bad of [undefined, null, "", token.slice(1), `${token}x`]) assert.equal(csrf.valid("uid-1", bad), false);
});
