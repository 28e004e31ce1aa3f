/**
 * Tokens from an independent external issuer (verified by the proxy's real
 * OIDC authenticator) are revoked by their mapped username and groups, not by
 * `sub`; a token minted after the revocation passes.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createAuthenticator } from "../../src/auth/create-authenticator.ts";
import type { TokenAuthenticator } from "../../src/auth/authenticator.ts";
import { systemClock } from "../../src/clock.ts";
import { openMemoryStorage } from "../../src/issuer/storage/memory/memory-storage.ts";
import type { Storage } from "../../src/issuer/storage/storage.ts";
import { createLogger } from "../../src/log/logger.ts";
import { Metrics } from "../../src/metrics/metrics.ts";
import { issuerConfigFor, startTestIssuer, type TestIssuer } from "../tools/test-issuer.ts";
import { get, startRevocationHarness, type RevocationHarness } from "./revocation-harness.ts";

let issuer: TestIssuer;
let authn: TokenAuthenticator;
let storage: Storage;
let h: RevocationHarness;
before(async () => {
  issuer = await startTestIssuer();
  authn = createAuthenticator([issuerConfigFor(issuer, { usernameClaim: "email", usernamePrefix: "", groupsPrefix: "ext:" })],
    { clock: systemClock, logger: createLogger({ level: "silent" }), metrics: new Metrics() });
  await authn.start();
  storage = await openMemoryStorage({}, { clock: systemClock });
  h = await startRevocationHarness({ storage, authenticator: authn });
});
after(async () => {
  await h.close();
  await storage.close();
  authn.close();
  await issuer.stop();
});

const secondsAgo = (s: number): number => Math.floor(Date.now() / 1000) - s;

test("an external issuer's token is revoked by its mapped username; a token minted later passes", async () => {
  const old = issuer.mint({ sub: "u-123", email: "zoe@example.com", email_verified: true, iat: secondsAgo(60) });
  const other = issuer.mint({ sub: "u-456", email: "yan@example.com", email_verified: true, iat: secondsAgo(60) });
  assert.equal((await get(h, "/api/v1/pods", old)).status, 200);
  await h.service.revoke({ kind: "user", name: "zoe@example.com", reason: "test", actor: "test" });
  assert.equal((await get(h, "/api/v1/pods", old)).status, 401);
  assert.equal((await get(h, "/api/v1/pods", other)).status, 200);
  const fresh = issuer.mint({ sub: "u-123", email: "zoe@example.com", email_verified: true, iat: secondsAgo(-2) });
  assert.equal((await get(h, "/api/v1/pods", fresh)).status, 200);
});

test("an external issuer's token is revoked by a mapped group (with the configured prefix)", async () => {
  const member = issuer.mint({ sub: "u-7", email: "xi@example.com", email_verified: true, groups: ["ops"], iat: secondsAgo(60) });
  await h.service.revoke({ kind: "group", name: "ops", reason: "unprefixed name matches nothing", actor: "test" });
  assert.equal((await get(h, "/api/v1/pods", member)).status, 200);
  await h.service.revoke({ kind: "group", name: "ext:ops", reason: "test", actor: "test" });
  assert.equal((await get(h, "/api/v1/pods", member)).status, 401);
});
