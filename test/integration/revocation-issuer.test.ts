/**
 * The issuer side: once a user, a group or everyone is revoked, refreshing a
 * refresh token from an earlier login fails with invalid_grant (and stays
 * dead after the revocation is lifted); a login after the revocation refreshes fine;
 * a device code approved before it cannot be exchanged; a block refuses logins.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import * as client from "openid-client";
import { mapGroups, mapUsername } from "../../src/auth/claim-mapping.ts";
import { systemClock } from "../../src/clock.ts";
import { openMemoryStorage } from "../../src/issuer/storage/memory/memory-storage.ts";
import type { Storage } from "../../src/issuer/storage/storage.ts";
import { createLogger } from "../../src/log/logger.ts";
import { Metrics } from "../../src/metrics/metrics.ts";
import { createRevocationPolicy } from "../../src/revocation/policy.ts";
import { RevocationService } from "../../src/revocation/service.ts";
import { RevocationSync } from "../../src/revocation/sync.ts";
import { authorizationRequest, KUBECTL_REDIRECT, startIssuerHarness, tokenRequest, type Harness } from "./issuer-harness.ts";
import { formDriver, loginWithPassword } from "./issuer-browserless.ts";

let storage: Storage;
let sync: RevocationSync;
let service: RevocationService;
let h: Harness;
const MAPPING = { usernameClaim: "email", usernamePrefix: "", groupsClaim: "groups", groupsPrefix: "oidc:", requiredClaims: {} };

before(async () => {
  storage = await openMemoryStorage({}, { clock: systemClock });
  const logger = createLogger({ level: "silent" });
  sync = new RevocationSync({ store: storage, clock: systemClock, logger, metrics: new Metrics(), pollIntervalMs: 100 });
  await sync.start();
  service = new RevocationService({ store: storage, clock: systemClock, logger, onChange: () => sync.refresh() });
  const policy = createRevocationPolicy(sync, (claims) => ({ username: mapUsername(claims, MAPPING), groups: mapGroups(claims, MAPPING) }), systemClock);
  h = await startIssuerHarness({ storage, revocation: policy });
});
after(async () => {
  sync.stop();
  await h.close();
  await storage.close();
});

async function login(): Promise<string> {
  const res = await tokenRequest(h, { grant_type: "password", username: "jane", password: "correct horse", scope: "openid email groups offline_access" }, "pw", "pw-secret");
  assert.equal(res.status, 200);
  return String(res.body.refresh_token);
}
const refresh = (token: string) => tokenRequest(h, { grant_type: "refresh_token", refresh_token: token }, "pw", "pw-secret");

for (const [kind, name] of [["user", "jane@example.com"], ["group", "oidc:ops"], ["all", ""]] as const) {
  test(`revoking ${kind} ${name}: an earlier login's refresh fails with invalid_grant, a later login's works`, async () => {
    const before = await login();
    const rotated = await refresh(before);
    assert.equal(rotated.status, 200, "refresh works before the revocation");
    await new Promise((r) => setTimeout(r, 5));
    const r = await service.revoke({ kind, name, reason: "test", actor: "test" });
    const refused = await refresh(String(rotated.body.refresh_token));
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error, "invalid_grant");
    await new Promise((r) => setTimeout(r, 5));
    const after = await login();
    assert.equal((await refresh(after)).status, 200, "a login after the revocation refreshes");
    await service.lift(r.id, "test");
    assert.equal((await refresh(String(rotated.body.refresh_token))).status, 400, "the revoked family stays revoked");
  });
}

test("a block refuses refresh of every login, the password grant, and the login page (with a readable error)", async () => {
  const token = await login();
  const b = await service.block({ kind: "group", name: "oidc:dev", reason: "test", actor: "test" });
  assert.equal((await refresh(token)).body.error, "invalid_grant");
  const password = await tokenRequest(h, { grant_type: "password", username: "jane", password: "correct horse", scope: "openid email groups" }, "pw", "pw-secret");
  assert.equal(password.status, 400);
  assert.equal(password.body.error, "invalid_grant");
  const req = await authorizationRequest(await h.rp("kubectl"), KUBECTL_REDIRECT, "openid email groups");
  const page = await loginWithPassword(formDriver(h.fetch, h.url), req.url.href, "jane", "correct horse");
  assert.equal(page.status, 403);
  assert.match(page.html, /An administrator has blocked access for this account/);
  assert.equal(page.redirectedTo, undefined);
  await service.lift(b.id, "test");
  assert.equal((await tokenRequest(h, { grant_type: "password", username: "jane", password: "correct horse", scope: "openid" }, "pw", "pw-secret")).status, 200);
});

test("a device code approved before a revocation yields invalid_grant when polled after it", async () => {
  const auth = await client.initiateDeviceAuthorization(await h.rp("kubectl"), { scope: "openid email groups offline_access" });
  const d = formDriver(h.fetch, h.url);
  const input = await d.get(auth.verification_uri);
  const codeForm = input.forms.find((f) => "user_code" in f.fields);
  assert.ok(codeForm);
  const confirm = await d.post(codeForm.action, { ...codeForm.fields, user_code: auth.user_code });
  const yes = confirm.forms.find((f) => f.fields["confirm"] === "yes");
  assert.ok(yes);
  const loginPage = await d.post(yes.action, yes.fields);
  const pw = loginPage.forms.find((f) => "password" in f.fields);
  assert.ok(pw);
  const done = await d.post(pw.action, { ...pw.fields, login: "jane", password: "correct horse" });
  assert.match(done.html, /signed in/i);
  await new Promise((r) => setTimeout(r, 5));
  const r = await service.revoke({ kind: "user", name: "jane@example.com", reason: "test", actor: "test" });
  const polled = await tokenRequest(h, { grant_type: "urn:ietf:params:oauth:grant-type:device_code", device_code: auth.device_code }, "kubectl");
  assert.equal(polled.status, 400);
  assert.equal(polled.body.error, "invalid_grant");
  await service.lift(r.id, "test");
});
