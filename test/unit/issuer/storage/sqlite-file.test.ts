/**
 * What only the SQLite backend promises: data outlives the process (closed or
 * killed), writes that guard access wait for the disk, the file is owner-only,
 * the schema is versioned, lookups use indexes, and the revocation stamp
 * follows writes made by any connection.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { after, test } from "node:test";
import { isKubewardError } from "../../../../src/errors.ts";
import type { ProtocolObject, RefreshFamily } from "../../../../src/issuer/storage/entities.ts";
import { openSqliteStorage } from "../../../../src/issuer/storage/sqlite/sqlite-storage.ts";
import type { Fsync } from "../../../../src/issuer/storage/sqlite/wal-sync.ts";
import type { Storage } from "../../../../src/issuer/storage/storage.ts";

const dir = mkdtempSync(join(tmpdir(), "kubeward-sqlite-file-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const T0 = Date.UTC(2026, 0, 1);
const clock = { now: () => T0 };
let n = 0;
const newFile = () => join(dir, `${++n}.db`);
const open = (file: string) => openSqliteStorage({ file }, { clock });

/** Runs `sql` on the file through a connection of the test's own. */
function query(file: string, sql: string): Record<string, unknown>[] {
  const db = new DatabaseSync(file);
  try {
    return db.prepare(sql).all().map((row) => ({ ...row }));
  } finally {
    db.close();
  }
}

test("data survives closing and reopening the file", async () => {
  const file = newFile();
  const token: ProtocolObject = { model: "RefreshToken", id: "rt1", payload: { grantId: "g1" }, expiresAt: T0 + 1000 };
  const family: RefreshFamily = { id: "f1", subject: "alice", connectorId: "local", createdAt: T0, lastUsedAt: T0, revoked: false };
  const first = await open(file);
  await first.upsertObject(token);
  await first.consumeObject("RefreshToken", "rt1");
  await first.createRefreshFamily(family);
  await first.createClient({ id: "kubectl", redirectURIs: ["http://localhost"], public: true, name: "kubectl", trustedPeers: [] });
  await first.close();
  const second = await open(file);
  assert.deepEqual(await second.findObject("RefreshToken", "rt1"), { ...token, consumedAt: T0 });
  assert.deepEqual(await second.getRefreshFamily("f1"), family);
  assert.equal((await second.getClient("kubectl"))?.name, "kubectl");
  await second.close();
});

test("a writer killed with SIGKILL leaves every committed row readable", { timeout: 30_000 }, async () => {
  const file = newFile();
  const child = spawn(process.execPath, [join(import.meta.dirname, "sqlite-writer.ts"), file], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  const exited = new Promise((resolve) => child.once("exit", resolve));
  await new Promise<void>((resolve) => {
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (out.split("\n").length > 40) resolve();
    });
    child.once("exit", () => resolve());
  });
  child.kill("SIGKILL");
  assert.equal(await exited, null, "the writer must still have been running when killed");
  const done = out.split("\n").slice(0, -1).map(Number);
  assert.ok(done.length >= 40);
  assert.deepEqual(query(file, "PRAGMA integrity_check"), [{ integrity_check: "ok" }]);
  const storage = await open(file);
  for (const i of done) {
    assert.ok(await storage.getClient(`c${i}`), `client c${i}`);
    assert.ok(await storage.getSigningKey(`k${i}`), `key k${i}`);
    assert.ok(await storage.getRefreshFamily(`f${i}`), `family f${i}`);
    assert.ok(await storage.findObject("RefreshToken", `rt${i}`), `token rt${i}`);
  }
  assert.ok(((await storage.getRefreshFamily("shared"))?.lastUsedAt ?? -1) >= done.at(-1)!);
  await storage.close();
});

/** True when `write` resolves while the WAL's fsync is held back; the fsync is then let through. */
async function answersBeforeFsync(storage: Storage, held: Array<() => void>, write: (s: Storage) => Promise<unknown>): Promise<boolean> {
  let answered = false;
  const done = write(storage).then(() => { answered = true; });
  await new Promise((resolve) => setImmediate(resolve));
  const before = answered;
  while (!answered) {
    held.splice(0).forEach((release) => release());
    await new Promise((resolve) => setImmediate(resolve));
  }
  await done;
  return before;
}

test("writes that guard access wait for the WAL's fsync; new tokens, spent codes and family touches do not", async () => {
  const held: Array<() => void> = [];
  const fsync: Fsync = () => new Promise((resolve) => held.push(resolve));
  const storage = await openSqliteStorage({ file: newFile() }, { clock }, fsync);
  const family: RefreshFamily = { id: "f1", subject: "alice", connectorId: "local", createdAt: T0, lastUsedAt: T0, revoked: false };
  const waits = async (write: (s: Storage) => Promise<unknown>) => !(await answersBeforeFsync(storage, held, write));
  assert.equal(await waits((s) => s.upsertObject({ model: "RefreshToken", id: "rt1", payload: { grantId: "f1" }, expiresAt: T0 + 1000 })), false);
  assert.equal(await waits((s) => s.createRefreshFamily(family)), false);
  assert.equal(await waits((s) => s.updateRefreshFamily("f1", (f) => ({ ...f, lastUsedAt: T0 + 1 }))), false);
  assert.equal(await waits((s) => s.upsertObject({ model: "AuthorizationCode", id: "c1", payload: { grantId: "f1" }, expiresAt: T0 + 1000 })), false);
  assert.equal(await waits((s) => s.consumeObject("AuthorizationCode", "c1")), false, "a spent code: the documented trade");
  assert.equal(await waits((s) => s.consumeObject("RefreshToken", "rt1")), true, "a rotated refresh token");
  assert.equal(await waits((s) => s.updateRefreshFamily("f1", (f) => ({ ...f, revoked: true }))), true, "a revoked family");
  assert.equal(await waits((s) => s.revokeByGrantId("RefreshToken", "f1")), true, "a revoked grant");
  assert.equal(await waits((s) => s.createRevocation({ id: "r1", kind: "all", reason: "drill", actor: "admin", createdAt: T0 })), true, "a revocation");
  assert.equal(await waits((s) => s.deleteRevocation("r1")), true, "a lifted revocation");
  assert.equal(await waits((s) => s.createClient({ id: "c", redirectURIs: [], public: true, name: "c", trustedPeers: [] })), true, "a client");
  assert.equal(await waits((s) => s.createPassword({ email: "a@example.com", hash: "h", username: "a", userID: "a", groups: [] })), true, "a user");
  assert.equal(await waits((s) => s.createSigningKey({
    kid: "k1", alg: "ES256", privateJwk: { kty: "EC" }, state: "next", createdAt: T0, retireAfter: T0 + 1, notAfter: T0 + 2,
  })), true, "a signing key");
  held.splice(0).forEach((release) => release());
  await storage.close();
});

test("the database and its WAL are owner-only, even when the file was not", async () => {
  const file = newFile();
  writeFileSync(file, "");
  chmodSync(file, 0o644);
  const storage = await open(file);
  await storage.createRevocation({ id: "r1", kind: "all", reason: "drill", actor: "admin", createdAt: T0 });
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(statSync(`${file}-wal`).mode & 0o777, 0o600);
  assert.deepEqual(query(file, "PRAGMA journal_mode"), [{ journal_mode: "wal" }]);
  await storage.close();
});

test("the schema version is recorded once and kept on reopen", async () => {
  const file = newFile();
  await (await open(file)).close();
  await (await open(file)).close();
  assert.deepEqual(query(file, "SELECT version FROM schema_version ORDER BY version"), [{ version: 1 }, { version: 2 }]);
});

test("any connection's write to the revocation table, an UPDATE included, changes the stamp", async () => {
  const file = newFile();
  const storage = await open(file);
  await storage.createRevocation({ id: "r1", kind: "all", reason: "drill", actor: "admin", createdAt: T0 });
  const before = await storage.revocationStamp();
  query(file, "UPDATE revocation SET data = data RETURNING key");
  assert.notEqual(await storage.revocationStamp(), before);
  await storage.close();
});

test("a file from a newer kubeward is refused with storage_unavailable", async () => {
  const file = newFile();
  await (await open(file)).close();
  query(file, "INSERT INTO schema_version (version) VALUES (99) RETURNING version");
  await assert.rejects(open(file), (e) => isKubewardError(e, "storage_unavailable") && /version 99 is newer/.test(e.detail ?? ""));
});

test("a file that is not a database, or cannot be created, is refused with storage_unavailable", async () => {
  const file = newFile();
  writeFileSync(file, "this is a text file, not a database; ".repeat(200));
  await assert.rejects(open(file), (e) => isKubewardError(e, "storage_unavailable"));
  await assert.rejects(open(join(dir, "missing", "x.db")), (e) => isKubewardError(e, "storage_unavailable"));
});

test("uid, userCode, grantId and expiry lookups use their indexes", async () => {
  const file = newFile();
  await (await open(file)).close();
  const plans = {
    protocol_object_uid: "model = 'Session' AND uid = 'u' AND expires_at > 5 ORDER BY rowid DESC LIMIT 1",
    protocol_object_user_code: "model = 'DeviceCode' AND user_code = 'c' AND expires_at > 5 ORDER BY rowid DESC LIMIT 1",
    protocol_object_grant_id: "model = 'RefreshToken' AND grant_id = 'g'",
    protocol_object_expires_at: "expires_at <= 5",
  };
  for (const [index, where] of Object.entries(plans)) {
    const plan = query(file, `EXPLAIN QUERY PLAN SELECT payload FROM protocol_object WHERE ${where}`);
    assert.match(String(plan[0]?.detail), new RegExp(`USING INDEX ${index}\\b`), where);
    assert.equal(plan.length, 1, `no sort step: ${where}`);
  }
});
