/**
 * Revocations and blocks at the proxy: the next request of the revoked user,
 * group or everyone is a 401, other users and later logins pass, the list
 * survives a restart and reaches another replica on the same storage.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { systemClock } from "../../src/clock.ts";
import { openMemoryStorage } from "../../src/issuer/storage/memory/memory-storage.ts";
import { openSqliteStorage } from "../../src/issuer/storage/sqlite/sqlite-storage.ts";
import type { Storage } from "../../src/issuer/storage/storage.ts";
import { get, startRevocationHarness, within, type RevocationHarness } from "./revocation-harness.ts";
import { authAttempts } from "./proxy-harness.ts";

const UNAUTHORIZED = { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message: "Unauthorized", reason: "Unauthorized", code: 401 };
const PODS = "/api/v1/namespaces/default/pods";

let storage: Storage;
let h: RevocationHarness;
before(async () => {
  storage = await openMemoryStorage({}, { clock: systemClock });
  h = await startRevocationHarness({ storage });
});
after(async () => {
  await h.close();
  await storage.close();
});

function login(token: string, username: string, groups: string[] = []): void {
  h.tokens.set(token, { user: { username, groups, extra: {} }, issuedAt: Date.now() - 1_000 });
}

async function refusals(kind: string): Promise<string> {
  return h.metrics.registry.getSingleMetricAsString("kubeward_revocation_refusals_total").then((t) => t.split("\n").find((l) => l.includes(`kind="${kind}"`)) ?? "");
}

test("a revoked user's token is refused on its next request; another user's is not; a new login works", async () => {
  login("ann-1", "ann@example.com");
  login("ben-1", "ben@example.com");
  assert.equal((await get(h, PODS, "ann-1")).status, 200);
  await h.service.revoke({ kind: "user", name: "ann@example.com", reason: "laptop stolen", actor: "test" });
  const [ok, revoked] = [await authAttempts(h.metrics, "success", "ok"), await authAttempts(h.metrics, "failure", "token_revoked")];
  const refused = await get(h, PODS, "ann-1");
  assert.equal(refused.status, 401);
  assert.equal(await authAttempts(h.metrics, "failure", "token_revoked"), revoked + 1, "counted once, as the refusal");
  assert.equal(await authAttempts(h.metrics, "success", "ok"), ok, "not also as a success");
  assert.deepEqual(JSON.parse(refused.body), UNAUTHORIZED);
  assert.ok(!refused.body.includes("laptop"), "the reason is not returned");
  assert.equal((await get(h, PODS, "ben-1")).status, 200);
  await new Promise((r) => setTimeout(r, 5));
  h.tokens.set("ann-2", { user: { username: "ann@example.com", groups: [], extra: {} }, issuedAt: Date.now() });
  assert.equal((await get(h, PODS, "ann-2")).status, 200);
  const line = h.logs().find((l) => l["msg"] === "request refused: identity revoked");
  assert.equal(line?.["reason"], "laptop stolen");
  assert.match(await refusals("user"), / 1$/);
});

test("a group revocation refuses every member's older tokens and no one else's", async () => {
  login("cat-1", "cat", ["devs", "sre"]);
  login("dan-1", "dan", ["devs"]);
  await h.service.revoke({ kind: "group", name: "sre", reason: "rotation", actor: "test" });
  assert.equal((await get(h, PODS, "cat-1")).status, 401);
  assert.equal((await get(h, PODS, "dan-1")).status, 200);
  assert.match(await refusals("group"), / 1$/);
});

test("a token without iat is refused by any revocation that matches it", async () => {
  h.tokens.set("eve-noiat", { user: { username: "eve", groups: [], extra: {} } });
  h.tokens.set("fay-noiat", { user: { username: "fay", groups: [], extra: {} } });
  await h.service.revoke({ kind: "user", name: "eve", reason: "test", actor: "test" });
  assert.equal((await get(h, PODS, "eve-noiat")).status, 401);
  assert.equal((await get(h, PODS, "fay-noiat")).status, 200);
});

test("a block refuses even fresh logins until lifted", async () => {
  const b = await h.service.block({ kind: "user", name: "gil", reason: "on leave", actor: "test" });
  h.tokens.set("gil-new", { user: { username: "gil", groups: [], extra: {} }, issuedAt: Date.now() + 60_000 });
  assert.equal((await get(h, PODS, "gil-new")).status, 401);
  await h.service.lift(b.id, "test");
  assert.equal((await get(h, PODS, "gil-new")).status, 200);
});

test("revoking all refuses every older token; logins after it work", async () => {
  login("hal-1", "hal", ["x"]);
  const all = await h.service.revoke({ kind: "all", name: "", reason: "key leak", actor: "test" });
  assert.equal((await get(h, PODS, "hal-1")).status, 401);
  await new Promise((r) => setTimeout(r, 5));
  h.tokens.set("hal-2", { user: { username: "hal", groups: ["x"], extra: {} }, issuedAt: Date.now() });
  assert.equal((await get(h, PODS, "hal-2")).status, 200);
  assert.match(await refusals("all"), / 1$/);
  await h.service.lift(all.id, "test");
});

test("revocations persist in sqlite: a restarted proxy and a second replica both enforce them", { timeout: 20_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), "kubeward-revocation-db-"));
  const file = join(dir, "issuer.db");
  const first = await openSqliteStorage({ file }, { clock: systemClock });
  const second = await openSqliteStorage({ file }, { clock: systemClock });
  const a = await startRevocationHarness({ storage: first, upstream: h.upstream });
  const b = await startRevocationHarness({ storage: second, upstream: h.upstream, guard: { pollIntervalMs: 1_000 } });
  try {
    const entry = { user: { username: "ivy", groups: [], extra: {} }, issuedAt: Date.now() - 1_000 };
    a.tokens.set("ivy-1", entry);
    b.tokens.set("ivy-1", entry);
    assert.equal((await get(b, PODS, "ivy-1")).status, 200);
    await a.service.revoke({ kind: "user", name: "ivy", reason: "test", actor: "test" });
    assert.equal((await get(a, PODS, "ivy-1")).status, 401);
    const took = await within(5_000, async () => (await get(b, PODS, "ivy-1")).status === 401, "the other replica refuses ivy");
    assert.ok(took <= 5_000);
    await a.close();
    await first.close();
    const reopened = await openSqliteStorage({ file }, { clock: systemClock });
    const restarted = await startRevocationHarness({ storage: reopened, upstream: h.upstream });
    restarted.tokens.set("ivy-1", entry);
    assert.equal((await get(restarted, PODS, "ivy-1")).status, 401, "refused right after the restart");
    await restarted.close();
    await reopened.close();
  } finally {
    await a.close();
    await b.close();
    await second.close();
    await rm(dir, { recursive: true, force: true });
  }
});
