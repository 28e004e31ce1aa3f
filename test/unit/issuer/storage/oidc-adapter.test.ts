/**
 * The oidc-provider Adapter over Storage: unit checks of the translation, and
 * the real oidc-provider saving, finding, consuming and revoking through it.
 */
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { test } from "node:test";
import { systemClock } from "../../../../src/clock.ts";
import { openMemoryStorage } from "../../../../src/issuer/storage/memory/memory-storage.ts";
import { oidcAdapterFor } from "../../../../src/issuer/storage/oidc-adapter.ts";

const T0 = Date.UTC(2026, 0, 1);

async function setup(toleranceSeconds = 0) {
  const clock = { t: T0, now: () => clock.t };
  const storage = await openMemoryStorage({}, { clock });
  const Adapter = oidcAdapterFor(storage, { clock, clockToleranceSeconds: toleranceSeconds });
  return { clock, storage, Adapter };
}

test("expiresIn seconds become an expiry on the storage clock, plus the clock tolerance", async () => {
  const { storage, Adapter } = await setup(5);
  const tokens = new Adapter("AccessToken");
  await tokens.upsert("a1", { accountId: "alice" }, 60);
  await tokens.upsert("a2", { accountId: "alice" });
  assert.equal((await storage.findObject("AccessToken", "a1"))?.expiresAt, T0 + 65_000);
  assert.equal((await storage.findObject("AccessToken", "a2"))?.expiresAt, undefined);
  assert.deepEqual(await tokens.find("a1"), { accountId: "alice" });
});

test("consume shows as `consumed` in epoch seconds, and a re-save keeps it consumed", async () => {
  const { clock, storage, Adapter } = await setup();
  const codes = new Adapter("AuthorizationCode");
  await codes.upsert("c1", { grantId: "g1" }, 60);
  clock.t = T0 + 1_500;
  await codes.consume("c1");
  const found = await codes.find("c1");
  assert.deepEqual(found, { grantId: "g1", consumed: T0 / 1000 + 1 });
  await codes.upsert("c1", found ?? {}, 60);
  assert.equal(await storage.consumeObject("AuthorizationCode", "c1"), false);
});

test("each model is its own namespace, for finds and for revokeByGrantId", async () => {
  const { Adapter } = await setup();
  const [access, refresh, sessions] = [new Adapter("AccessToken"), new Adapter("RefreshToken"), new Adapter("Session")];
  await access.upsert("t1", { grantId: "g1" }, 60);
  await refresh.upsert("t1", { grantId: "g1", uid: "u1" }, 60);
  await sessions.upsert("s1", { uid: "u1" }, 60);
  await access.revokeByGrantId("g1");
  assert.equal(await access.find("t1"), undefined);
  assert.deepEqual(await refresh.find("t1"), { grantId: "g1", uid: "u1" });
  assert.deepEqual(await sessions.findByUid("u1"), { uid: "u1" });
  await sessions.destroy("s1");
  assert.equal(await sessions.findByUid("u1"), undefined);
});

test("a model name oidc-provider does not have is refused", async () => {
  const { Adapter } = await setup();
  assert.throws(() => new Adapter("Sessions"), /unknown oidc-provider model "Sessions"/);
});

/** The slice of oidc-provider this test drives; the package ships no types. */
interface Token {
  save(): Promise<string>;
  consume(): Promise<void>;
  readonly accountId: string;
  readonly isValid: boolean;
}
interface TokenModel {
  new (init: Record<string, unknown>): Token;
  find(value: string): Promise<Token | undefined>;
  revokeByGrantId(grantId: string): Promise<void>;
}
interface ProviderLike {
  Client: { find(id: string): Promise<unknown> };
  AccessToken: TokenModel;
  RefreshToken: TokenModel;
}
type ProviderClass = new (issuer: string, config: Record<string, unknown>) => ProviderLike;

test("oidc-provider saves, finds, consumes and revokes its tokens through the adapter", async () => {
  const storage = await openMemoryStorage({}, { clock: systemClock });
  const { default: Provider } = (await import("oidc-provider" as string)) as { default: ProviderClass };
  const provider = new Provider("https://issuer.example", {
    adapter: oidcAdapterFor(storage, { clock: systemClock }),
    clients: [{ client_id: "kubectl", client_secret: "s3cret", redirect_uris: ["https://app.example/cb"], grant_types: ["authorization_code", "refresh_token"], id_token_signed_response_alg: "ES256" }],
    jwks: { keys: [generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ format: "jwk" })] },
    features: { devInteractions: { enabled: false } },
    ttl: { AccessToken: 60, RefreshToken: 3600 },
  });
  const client = await provider.Client.find("kubectl");
  const init = { accountId: "alice", client, grantId: "g1", scope: "openid" };
  const refresh = await new provider.RefreshToken(init).save();
  const access = await new provider.AccessToken(init).save();
  assert.equal((await provider.RefreshToken.find(refresh))?.isValid, true);
  await (await provider.RefreshToken.find(refresh))?.consume();
  assert.equal((await provider.RefreshToken.find(refresh))?.isValid, false);
  assert.equal((await provider.AccessToken.find(access))?.accountId, "alice");
  await provider.AccessToken.revokeByGrantId("g1");
  assert.equal(await provider.AccessToken.find(access), undefined);
  assert.equal((await storage.findObject("RefreshToken", refresh))?.payload["accountId"], "alice");
});
