import { test } from "node:test";
import assert from "node:assert/strict";
import { isKubewardError } from "../../../src/errors.ts";
import { MAX_TOKEN_BYTES, parseJwt, peekIssuer } from "../../../src/auth/jwt-parse.ts";

const b64 = (v: unknown): string => Buffer.from(typeof v === "string" ? v : JSON.stringify(v)).toString("base64url");
const jwt = (header: unknown, payload: unknown, sig = "c2ln"): string => `${b64(header)}.${b64(payload)}.${sig}`;
const malformed = (e: unknown): boolean => isKubewardError(e, "token_malformed");

test("a compact JWS parses into header and claims", () => {
  const parsed = parseJwt(jwt({ alg: "RS256", kid: "k1" }, { iss: "https://i", sub: "alice", aud: ["a", "b"], exp: 1, nbf: 0, iat: 0 }));
  assert.equal(parsed.header["kid"], "k1");
  assert.equal(parsed.claims["sub"], "alice");
});

test("anything but exactly three parts is token_malformed", () => {
  for (const t of ["", "abc", "a.b", "a.b.c.d", `${b64({ alg: "RS256" })}.${b64({})}`]) assert.throws(() => parseJwt(t), malformed, t);
});

test("JSON serialization is refused, like kube-apiserver's untrustedIssuer", () => {
  assert.throws(() => parseJwt(` {"payload":"e30","signatures":[]}`), malformed);
  assert.throws(() => peekIssuer(`{"payload":"e30"}`), malformed);
});

test("padding, standard base64 characters and stray bytes are refused (strict base64url)", () => {
  const h = b64({ alg: "RS256" });
  for (const payload of [`${b64({ sub: "a" })}=`, "ab+/", "a b", "abcde"]) {
    assert.throws(() => parseJwt(`${h}.${payload}.sig`), malformed, payload);
  }
});

test("header and payload must be JSON objects", () => {
  assert.throws(() => parseJwt(jwt({ alg: "RS256" }, "not json")), malformed);
  assert.throws(() => parseJwt(jwt({ alg: "RS256" }, [1, 2])), malformed);
  assert.throws(() => parseJwt(jwt("null", {})), malformed);
  assert.throws(() => parseJwt(jwt({ kid: "k" }, {})), malformed, "no alg");
  assert.throws(() => parseJwt(jwt({ alg: "RS256", kid: 5 }, {})), malformed, "numeric kid");
});

test("critical header parameters (and the b64 option) are refused", () => {
  assert.throws(() => parseJwt(jwt({ alg: "RS256", crit: ["b64"], b64: false }, {})), malformed);
  assert.throws(() => parseJwt(jwt({ alg: "RS256", crit: ["exp"] }, {})), malformed);
});

test("standard claims of the wrong JSON type are token_malformed (go-oidc fails to unmarshal them)", () => {
  for (const bad of [{ exp: "1700000000" }, { nbf: "0" }, { iat: true }, { iss: 5 }, { sub: 7 }, { aud: 5 }, { aud: ["a", 1] }]) {
    assert.throws(() => parseJwt(jwt({ alg: "RS256" }, bad)), malformed, JSON.stringify(bad));
  }
  parseJwt(jwt({ alg: "RS256" }, { exp: null, nbf: null, aud: null, iss: null }));
});

test("a token longer than 16 KiB is refused before it is decoded", () => {
  assert.equal(MAX_TOKEN_BYTES, 16 * 1024);
  const big = jwt({ alg: "RS256" }, { sub: "a", pad: "x".repeat(MAX_TOKEN_BYTES) });
  assert.throws(() => parseJwt(big), (e) => malformed(e) && /longer than/.test((e as { detail: string }).detail));
  assert.throws(() => peekIssuer(big), malformed);
});

test("peekIssuer reads iss without verifying, and maps accounts.google.com to https://accounts.google.com", () => {
  assert.equal(peekIssuer(jwt({ alg: "none" }, { iss: "https://idp.example" })), "https://idp.example");
  assert.equal(peekIssuer(jwt({ alg: "RS256" }, { iss: "accounts.google.com" })), "https://accounts.google.com");
  assert.equal(peekIssuer(jwt({ alg: "RS256" }, {})), "");
  assert.throws(() => peekIssuer(jwt({ alg: "RS256" }, { iss: 42 })), malformed);
});
