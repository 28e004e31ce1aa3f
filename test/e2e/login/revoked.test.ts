/**
 * After `kubeward revoke user`, kubectl 1.34 does not retry on 401 (client-go re-runs the exec plugin, which hands back the
 * still-fresh cached ID token), so calls fail Unauthorized until the token is within 30 s of expiry; then `kubeward login`'s
 * refresh gets invalid_grant (family revoked), it says so and logs in again, and the new token (iat after the revocation) works.
 */
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { useCluster } from "../../fixtures/cluster/use-cluster.ts";
import { claimsOf, startServeFixture, USER, type ServeFixture } from "./serve-fixture.ts";

const cluster = useCluster();
const WHOAMI = ["auth", "whoami", "-o", "jsonpath={.status.userInfo.username} {.status.userInfo.groups}"];
const EXPECTED = `${USER.email} ${JSON.stringify([...USER.groups, "system:authenticated"])}`;
/** The cache hands a token out until 30 s before its expiry: 45 s here. */
const ID_TOKEN_TTL_S = 75;

async function cachedToken(cacheDir: string): Promise<string> {
  const files = (await readdir(cacheDir)).filter((f) => !f.endsWith(".lock"));
  assert.equal(files.length, 1, `one cache file in ${cacheDir}: ${files.join(", ")}`);
  return (JSON.parse(await readFile(join(cacheDir, files[0] ?? ""), "utf8")) as { token: string }).token;
}

describe("kubeward login after kubeward revoke", () => {
  let f: ServeFixture;
  before(async () => {
    f = await startServeFixture(cluster, { admin: true, idTokenTTL: `${ID_TOKEN_TTL_S}s` });
  });
  after(async () => {
    await f?.close();
  });

  test("kubectl is Unauthorized while the revoked token is cached; then kubeward login's refresh is refused, it logs in again and kubectl works", { timeout: 300_000 }, async () => {
    const kc = await f.kubeconfig("revoked", ["--grant-type=password", `--username=${USER.email}`]);
    await f.appendExecArgs(kc.path, [`--password=${USER.password}`]);
    const ok = await f.kubectl(kc.path, WHOAMI);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout, EXPECTED);
    const first = await cachedToken(kc.cacheDir);
    const freshUntil = Number(claimsOf(first)["exp"]) * 1000 - 30_000;

    const revokedAt = Date.now();
    const revoke = await f.kubeward(["revoke", "user", USER.email, "--reason", "e2e: laptop stolen", ...f.adminFlags]);
    assert.equal(revoke.code, 0, revoke.stderr);
    assert.match(revoke.stdout, /\(id rev-[0-9a-f]+\)/);

    const refused = await f.kubectl(kc.path, WHOAMI);
    assert.ok(Date.now() < freshUntil, "the cached token was still fresh during this call (else the machine was too slow for this test)");
    assert.equal(refused.code, 1, `kubectl failed: ${refused.stdout}`);
    assert.match(refused.stderr, /You must be logged in to the server \(Unauthorized\)|Unauthorized/);
    assert.doesNotMatch(refused.stderr, /logging in again/, "kubeward login handed back the cached token: it cannot know the proxy refused it");
    assert.equal(await cachedToken(kc.cacheDir), first);

    await sleep(Math.max(0, freshUntil - Date.now()) + 1_000);
    const again = await f.kubectl(kc.path, WHOAMI);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout, EXPECTED);
    assert.match(again.stderr, /^kubeward login: the issuer refused the refresh token \(.+\); logging in again$/m);
    const second = await cachedToken(kc.cacheDir);
    assert.notEqual(second, first);
    assert.ok(Number(claimsOf(second)["iat"]) * 1000 > revokedAt, "the new ID token was issued after the revocation");
    const next = await f.kubectl(kc.path, WHOAMI);
    assert.equal(next.code, 0, next.stderr);
    assert.equal(next.stderr, "", "the new login's token is cached and used");
  });
});
