import { test } from "node:test";
import assert from "node:assert/strict";
import { isKubewardError } from "../../../src/errors.ts";
import type { TokenAuthenticator } from "../../../src/auth/authenticator.ts";
import { createMultiIssuerAuthenticator } from "../../../src/auth/multi-issuer.ts";

const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString("base64url");
const tokenFrom = (iss: unknown): string => `${b64({ alg: "RS256" })}.${b64({ iss })}.sig`;

function fake(name: string, isReady = true) {
  const calls: string[] = [];
  const a: TokenAuthenticator = {
    authenticate: async (t) => (calls.push(t), { user: { username: name, groups: [], extra: {} }, expiresAt: 0, issuer: name }),
    ready: () => isReady,
    start: async () => undefined,
    close: () => calls.push("closed"),
  };
  return { a, calls };
}

test("a token goes to the authenticator of the issuer its iss names", async () => {
  const one = fake("one");
  const two = fake("two");
  const multi = createMultiIssuerAuthenticator(new Map([["https://one", one.a], ["https://two", two.a]]));
  assert.equal((await multi.authenticate(tokenFrom("https://two"))).user.username, "two");
  assert.equal((await multi.authenticate(tokenFrom("https://one"))).user.username, "one");
  assert.deepEqual([one.calls.length, two.calls.length], [1, 1]);
});

test("accounts.google.com reaches the https://accounts.google.com issuer", async () => {
  const g = fake("google");
  const multi = createMultiIssuerAuthenticator(new Map([["https://accounts.google.com", g.a]]));
  assert.equal((await multi.authenticate(tokenFrom("accounts.google.com"))).user.username, "google");
});

test("a token from an issuer that is not configured is token_issuer_mismatch; unreadable ones are token_malformed", async () => {
  const one = fake("one");
  const multi = createMultiIssuerAuthenticator(new Map([["https://one", one.a]]));
  await assert.rejects(multi.authenticate(tokenFrom("https://one/")), (e) => isKubewardError(e, "token_issuer_mismatch"));
  await assert.rejects(multi.authenticate(tokenFrom(undefined)), (e) => isKubewardError(e, "token_issuer_mismatch"));
  await assert.rejects(multi.authenticate("garbage"), (e) => isKubewardError(e, "token_malformed"));
  assert.equal(one.calls.length, 0);
});

test("ready only when every issuer is ready; close reaches every issuer", () => {
  const one = fake("one");
  const two = fake("two", false);
  const multi = createMultiIssuerAuthenticator(new Map([["https://one", one.a], ["https://two", two.a]]));
  assert.equal(multi.ready(), false);
  multi.close();
  assert.deepEqual([one.calls, two.calls], [["closed"], ["closed"]]);
});
