import { test } from "node:test";
import assert from "node:assert/strict";
import { EXPIRY_MARGIN_MS, isFresh, jwtExpiry } from "../../../src/login/freshness.ts";

const jwt = (claims: Record<string, unknown>) => `e30.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.sig`;

test("the expiry of a JWT is its exp, in milliseconds", () => {
  assert.equal(jwtExpiry(jwt({ exp: 1_700_000_000 })), 1_700_000_000_000);
  assert.equal(jwtExpiry(jwt({ sub: "x" })), undefined);
  assert.equal(jwtExpiry(jwt({ exp: "soon" })), undefined);
  assert.equal(jwtExpiry("opaque-access-token"), undefined);
  assert.equal(jwtExpiry("a.!!!.c"), undefined);
});

test("a token is reused only while more than the margin (30 s) is left", () => {
  const now = 1_000_000;
  assert.equal(EXPIRY_MARGIN_MS, 30_000);
  assert.equal(isFresh(now + 30_001, now), true);
  assert.equal(isFresh(now + 30_000, now), false);
  assert.equal(isFresh(now + 5_000, now), false);
  assert.equal(isFresh(now - 1, now), false);
  assert.equal(isFresh(undefined, now), false);
  assert.equal(isFresh(now + 5_000, now, 1_000), true);
});
