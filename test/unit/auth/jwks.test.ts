import { test } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { keyMatchesAlg, parseJwks } from "../../../src/auth/jwks.ts";

const rsa = { ...generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey.export({ format: "jwk" }), kid: "r1" };
const ec256 = { ...generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ format: "jwk" }), kid: "e1" };
const ed = { ...generateKeyPairSync("ed25519").publicKey.export({ format: "jwk" }), kid: "okp" };
const secp256k1 = { ...generateKeyPairSync("ec", { namedCurve: "secp256k1" }).publicKey.export({ format: "jwk" }), kid: "k1" };

test("RSA and P-256 signing keys are kept with their kid", () => {
  const { keys, ignored } = parseJwks({ keys: [rsa, { ...ec256, use: "sig" }] });
  assert.deepEqual(keys.map((k) => [k.kid, k.kty, k.crv]), [["r1", "RSA", undefined], ["e1", "EC", "P-256"]]);
  assert.equal(ignored, 0);
});

test("encryption keys, symmetric keys, OKP and unsupported curves are ignored", () => {
  const { keys, ignored } = parseJwks({
    keys: [{ ...rsa, kid: "enc", use: "enc" }, { kty: "oct", k: "c2VjcmV0", kid: "hmac" }, ed, secp256k1, rsa],
  });
  assert.deepEqual(keys.map((k) => k.kid), ["r1"]);
  assert.equal(ignored, 4);
});

test("RSA keys under 2048 bits are ignored", () => {
  const small = { ...generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey.export({ format: "jwk" }), kid: "small" };
  const { keys, ignored } = parseJwks({ keys: [small, rsa] });
  assert.deepEqual(keys.map((k) => k.kid), ["r1"]);
  assert.equal(ignored, 1);
});

test("broken key material and non-object entries are ignored, not fatal", () => {
  const { keys, ignored } = parseJwks({ keys: [{ kty: "RSA", n: "!!", e: "AQAB" }, "nope", null, ec256] });
  assert.deepEqual(keys.map((k) => k.kid), ["e1"]);
  assert.equal(ignored, 3);
});

test("private key members are never kept", () => {
  const priv = { ...generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ format: "jwk" }), kid: "p" };
  const [key] = parseJwks({ keys: [priv] }).keys;
  assert.equal(key?.key.type, "public");
});

test("a document without a keys array is an error", () => {
  for (const doc of [null, {}, { keys: {} }, "keys", []]) assert.throws(() => parseJwks(doc), /no keys array/);
});

test("keyMatchesAlg: RSA for RS*/PS*, EC on the matching curve for ES*", () => {
  const [r, e] = parseJwks({ keys: [rsa, ec256] }).keys;
  assert.ok(r && e);
  assert.ok(keyMatchesAlg(r, "RS256") && keyMatchesAlg(r, "PS512"));
  assert.ok(!keyMatchesAlg(r, "ES256"));
  assert.ok(keyMatchesAlg(e, "ES256"));
  assert.ok(!keyMatchesAlg(e, "ES384") && !keyMatchesAlg(e, "RS256"));
});
