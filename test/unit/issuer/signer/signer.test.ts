/** Key rotation on a frozen clock: next → active → retired → deleted, and a restart keeps the active key. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { compactVerify, createLocalJWKSet, decodeProtectedHeader } from "jose";
import { openStorage } from "../../../../src/issuer/storage/registry.ts";
import { createSigner, type SignerOptions } from "../../../../src/issuer/signer/signer.ts";

const HOUR = 3_600_000;
const LIFETIME = 11 * 60_000;

async function setup() {
  let now = Date.UTC(2026, 0, 1);
  const clock = { now: () => now };
  const store = await openStorage({ type: "memory", config: {} }, { clock });
  const options: SignerOptions = { store, clock, alg: "ES256", rotationPeriodMs: HOUR, tokenLifetimeMs: LIFETIME };
  return { store, options, signer: createSigner(options), advance: (ms: number) => void (now += ms) };
}

test("the first maintain creates an active and a next key; nothing changes until the period ends", async () => {
  const { signer, advance } = await setup();
  assert.equal(await signer.maintain(), true);
  assert.deepEqual(signer.published().map((k) => k.state), ["active", "next"]);
  advance(HOUR - 1);
  assert.equal(await signer.maintain(), false);
});

test("rotation promotes next, retires active, and keeps the retired key published for the token lifetime", async () => {
  const { signer, advance } = await setup();
  await signer.maintain();
  const [first, next] = signer.published();
  assert.ok(first && next);
  const token = await signer.sign({ sub: "a" });
  advance(HOUR);
  assert.equal(await signer.maintain(), true);
  assert.equal(signer.active().kid, next.kid);
  assert.deepEqual(signer.published().map((k) => k.state), ["active", "next", "retired"]);
  assert.equal(decodeProtectedHeader(await signer.sign({ sub: "b" })).kid, next.kid);
  await compactVerify(token, createLocalJWKSet(signer.publicJwks()));
  advance(LIFETIME - 1);
  await signer.maintain();
  assert.ok(signer.published().some((k) => k.kid === first.kid), "published until every token it signed expired");
  advance(1);
  assert.equal(await signer.maintain(), true);
  assert.ok(!signer.published().some((k) => k.kid === first.kid), "then gone");
});

test("the JWKS has only public members", async () => {
  const { signer } = await setup();
  await signer.maintain();
  for (const k of signer.publicJwks().keys) {
    assert.equal(k.d, undefined);
    assert.equal(k.use, "sig");
    assert.equal(k.alg, "ES256");
  }
});

test("a second signer on the same storage (a restart or replica) uses the same active key", async () => {
  const { signer, options } = await setup();
  await signer.maintain();
  const again = createSigner(options);
  await again.maintain();
  assert.equal(again.active().kid, signer.active().kid);
  assert.deepEqual(again.published().map((k) => k.kid), signer.published().map((k) => k.kid));
});

test("active() before any maintain is an internal error, not a silent unsigned token", async () => {
  const { signer } = await setup();
  assert.throws(() => signer.active(), { code: "internal" });
});
