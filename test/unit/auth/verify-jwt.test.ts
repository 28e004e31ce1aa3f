import { test } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { isKubewardError, type ErrorCode } from "../../../src/errors.ts";
import { parseJwks, type VerificationKey } from "../../../src/auth/jwks.ts";
import { parseJwt } from "../../../src/auth/jwt-parse.ts";
import { NBF_LEEWAY_MS, verifyJwt, type KeySource, type VerifyPolicy } from "../../../src/auth/verify-jwt.ts";

const NOW = 1_700_000_000_000;
const NOW_S = NOW / 1000;
const ISS = "https://issuer.test";
const policy: VerifyPolicy = { issuerUrl: ISS, audiences: ["kubeward", "other"], signingAlgs: ["ES256", "RS256"] };

interface TestKey { readonly kid: string; readonly privateKey: KeyObject; readonly jwk: Record<string, unknown> }
function ecKey(kid: string): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return { kid, privateKey, jwk: { ...publicKey.export({ format: "jwk" }), kid } };
}
const A = ecKey("a");
const B = ecKey("b");
const C = ecKey("c");

const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString("base64url");
function token(claims: Record<string, unknown>, key: TestKey = A, header: Record<string, unknown> = { alg: "ES256", kid: key.kid }): string {
  const input = `${b64(header)}.${b64({ iss: ISS, aud: "kubeward", sub: "alice", exp: NOW_S + 600, ...claims })}`;
  return `${input}.${sign("sha256", Buffer.from(input), { key: key.privateKey, dsaEncoding: "ieee-p1363" }).toString("base64url")}`;
}

/** A key source holding `initial`, serving `afterRefetch` once asked to refetch; counts refetches. */
function source(initial: TestKey[], afterRefetch: TestKey[] = initial): KeySource & { refetches: number } {
  const toKeys = (ks: TestKey[]): VerificationKey[] => parseJwks({ keys: ks.map((k) => k.jwk) }).keys;
  let keys = toKeys(initial);
  return {
    refetches: 0,
    keys: () => keys,
    async refetch() {
      this.refetches++;
      keys = toKeys(afterRefetch);
      return keys;
    },
  };
}

async function refused(t: string, code: ErrorCode, keys: KeySource = source([A]), now = NOW): Promise<void> {
  await assert.rejects(verifyJwt(parseJwt(t), policy, keys, now), (e: unknown) => {
    assert.ok(isKubewardError(e), String(e));
    assert.equal(e.code, code, e.detail);
    return true;
  });
}

const accepted = (t: string, keys: KeySource = source([A]), now = NOW): Promise<void> => verifyJwt(parseJwt(t), policy, keys, now);

test("a token signed by a published key, for a configured audience, in its validity window, verifies", async () => {
  await accepted(token({}));
  await accepted(token({ aud: ["someone-else", "other"] }));
});

test("iss must match exactly", async () => {
  await refused(token({ iss: `${ISS}/` }), "token_issuer_mismatch");
  await refused(token({ iss: undefined }), "token_issuer_mismatch");
});

test("accounts.google.com is accepted for the https://accounts.google.com issuer only", async () => {
  const google = { ...policy, issuerUrl: "https://accounts.google.com" };
  await verifyJwt(parseJwt(token({ iss: "accounts.google.com" })), google, source([A]), NOW);
  await refused(token({ iss: "issuer.test" }), "token_issuer_mismatch");
});

test("aud must contain one of the configured audiences", async () => {
  await refused(token({ aud: "someone-else" }), "token_audience_mismatch");
  await refused(token({ aud: [] }), "token_audience_mismatch");
  await refused(token({ aud: undefined }), "token_audience_mismatch");
});

test("exp is strict: valid through the exp second, refused 1 ms after; a missing exp is expired", async () => {
  await accepted(token({ exp: NOW_S }));
  await refused(token({ exp: NOW_S }), "token_expired", source([A]), NOW + 1);
  await refused(token({ exp: NOW_S - 1 }), "token_expired");
  await refused(token({ exp: undefined }), "token_expired");
});

test("exp with a fraction is truncated to whole seconds, as go-oidc reads it", async () => {
  await refused(token({ exp: NOW_S + 0.9 }), "token_expired", source([A]), NOW + 1);
});

test("nbf within the leeway is accepted; beyond it is token_not_yet_valid", async () => {
  assert.equal(NBF_LEEWAY_MS, 60_000);
  await accepted(token({ nbf: NOW_S + 60 }));
  await accepted(token({ nbf: NOW_S + NBF_LEEWAY_MS / 1000 }));
  await refused(token({ nbf: NOW_S + NBF_LEEWAY_MS / 1000 + 1 }), "token_not_yet_valid");
});

test("iat and azp are not checked", async () => {
  await accepted(token({ iat: NOW_S + 86_400, azp: "someone-else" }));
});

test("alg must be in the configured list: none, HS256 and unconfigured algorithms are refused", async () => {
  await refused(token({}, A, { alg: "none", kid: "a" }), "token_alg_not_allowed");
  await refused(token({}, A, { alg: "HS256", kid: "a" }), "token_alg_not_allowed");
  await refused(token({}, A, { alg: "ES384", kid: "a" }), "token_alg_not_allowed");
  await assert.rejects(verifyJwt(parseJwt(token({}, A, { alg: "HS256", kid: "a" })), { ...policy, signingAlgs: ["HS256"] }, source([A]), NOW),
    (e) => isKubewardError(e, "token_alg_not_allowed"), "HS256 is refused even if configured");
});

test("claims are checked before the signature, in go-oidc's order", async () => {
  const wrong = token({ iss: "https://evil", aud: "x", exp: 1 }, ecKey("a"));
  await refused(wrong, "token_issuer_mismatch");
  await refused(token({ aud: "x", exp: 1 }, ecKey("a")), "token_audience_mismatch");
  await refused(token({ exp: 1 }, ecKey("a")), "token_expired");
});

test("a bad signature under a known kid is token_signature_invalid, without refetching", async () => {
  const keys = source([A]);
  await refused(token({}, { ...B, kid: "a" }), "token_signature_invalid", keys);
  const [h, , s] = token({}).split(".");
  await refused(`${h}.${b64({ iss: ISS, aud: "kubeward", sub: "mallory", exp: NOW_S + 600 })}.${s}`, "token_signature_invalid", keys);
  assert.equal(keys.refetches, 0);
});

test("an unknown kid triggers a refetch; a key published since then verifies", async () => {
  const keys = source([A], [A, B]);
  await accepted(token({}, B), keys);
  assert.equal(keys.refetches, 1);
});

test("a kid still unknown after the refetch is token_unknown_key", async () => {
  const keys = source([A]);
  await refused(token({}, B), "token_unknown_key", keys);
  assert.equal(keys.refetches, 1);
});

test("a token without kid is tried against every key of a suitable type", async () => {
  const keys = source([A, B, C]);
  await accepted(token({}, C, { alg: "ES256" }), keys);
  assert.equal(keys.refetches, 0);
  await refused(token({}, ecKey("x"), { alg: "ES256" }), "token_signature_invalid", keys);
  assert.equal(keys.refetches, 1, "refetched once in case the issuer rotated");
});

test("a token without kid signed by a newly published key verifies after one refetch", async () => {
  const keys = source([A], [A, B]);
  await accepted(token({}, B, { alg: "ES256" }), keys);
  assert.equal(keys.refetches, 1);
});

test("no key of the token's type at all is token_unknown_key", async () => {
  const rsaOnly = parseJwks({ keys: [{ ...generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey.export({ format: "jwk" }), kid: "a" }] }).keys;
  const keys: KeySource = { keys: () => rsaOnly, refetch: async () => rsaOnly };
  await refused(token({}), "token_unknown_key", keys);
  await refused(token({}, A, { alg: "ES256" }), "token_unknown_key", keys);
});
