/**
 * Signing keys end to end: rotation changes the kid of new tokens while old
 * tokens still verify, a retired key leaves the JWKS only after its tokens
 * have expired, ES256 works, and a restart on sqlite keeps the active key.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from "jose";
import { openStorage } from "../../src/issuer/storage/registry.ts";
import { KUBECTL_REDIRECT, authorizationRequest, skewClock, startIssuerHarness, tokenRequest, type Harness } from "./issuer-harness.ts";
import { formDriver, loginWithPassword } from "./issuer-browserless.ts";

/** A fresh ID token for jane through the password grant. */
async function idToken(h: Harness): Promise<string> {
  const res = await tokenRequest(h, { grant_type: "password", username: "jane", password: "correct horse", scope: "openid" }, "pw", "pw-secret");
  assert.equal(res.status, 200);
  return String(res.body.id_token);
}

async function jwks(h: Harness): Promise<JSONWebKeySet> {
  return (await (await h.fetch(`${h.url}/jwks`)).json()) as JSONWebKeySet;
}

const kids = async (h: Harness) => (await jwks(h)).keys.map((k) => k.kid);
const kidOf = (token: string) => decodeProtectedHeader(token).kid;

describe("key rotation", () => {
  const clock = skewClock();
  let h: Harness;
  before(async () => {
    h = await startIssuerHarness({ clock, config: { keyRotationPeriodMs: 3_600_000 } });
  });
  after(() => h.close());

  test("new tokens carry the new kid; old ones verify until their key leaves after their lifetime", async () => {
    const old = await idToken(h);
    const oldKid = kidOf(old);
    const published = await kids(h);
    assert.equal(published.length, 2, "the active key and the next one are published");
    assert.equal(published[0], oldKid);
    clock.advance(3_600_000 + 1_000);
    await h.issuer.maintain();
    const fresh = await idToken(h);
    assert.notEqual(kidOf(fresh), oldKid);
    assert.equal(kidOf(fresh), published[1], "the published next key became active");
    const afterRotation = await kids(h);
    assert.ok(afterRotation.includes(oldKid), "the retired key is still published");
    await jwtVerify(old, createLocalJWKSet(await jwks(h)), { issuer: h.url });
    await jwtVerify(fresh, createLocalJWKSet(await jwks(h)), { issuer: h.url });
    clock.advance(5 * 60_000);
    await h.issuer.maintain();
    assert.ok((await kids(h)).includes(oldKid), "still published while its tokens may be valid");
    clock.advance(7 * 60_000);
    await h.issuer.maintain();
    assert.ok(!(await kids(h)).includes(oldKid), "gone once every token it signed has expired");
    assert.ok((await kids(h)).includes(kidOf(fresh) ?? ""));
  });
});

describe("ES256 keys", () => {
  let h: Harness;
  before(async () => {
    h = await startIssuerHarness({ config: { signingAlg: "ES256" } });
  });
  after(() => h.close());

  test("tokens from the code flow and the password grant are ES256 and verify", async () => {
    const token = await idToken(h);
    assert.equal(decodeProtectedHeader(token).alg, "ES256");
    await jwtVerify(token, createLocalJWKSet(await jwks(h)), { issuer: h.url, algorithms: ["ES256"] });
    const rp = await h.rp("kubectl");
    const req = await authorizationRequest(rp, KUBECTL_REDIRECT, "openid");
    const landing = await loginWithPassword(formDriver(h.fetch, h.url), req.url.href, "jane", "correct horse");
    const res = await tokenRequest(h, { grant_type: "authorization_code", code: landing.redirectedTo?.searchParams.get("code") ?? "", redirect_uri: KUBECTL_REDIRECT, code_verifier: req.verifier }, "kubectl");
    assert.equal(decodeProtectedHeader(String(res.body.id_token)).alg, "ES256");
  });
});

describe("restart on sqlite", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "kubeward-issuer-keys-"));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test("a restarted issuer signs with the same active key and publishes the same keys", async () => {
    const file = join(dir, "issuer.db");
    const clock = skewClock();
    const first = await openStorage({ type: "sqlite", config: { file } }, { clock });
    const h1 = await startIssuerHarness({ storage: first, clock });
    const before = kidOf(await idToken(h1));
    const published = await kids(h1);
    await h1.close();
    await first.close();
    const second = await openStorage({ type: "sqlite", config: { file } }, { clock });
    const h2 = await startIssuerHarness({ storage: second, clock });
    try {
      assert.equal(kidOf(await idToken(h2)), before);
      assert.deepEqual(await kids(h2), published);
    } finally {
      await h2.close();
      await second.close();
    }
  });
});
