import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import bcrypt from "bcryptjs";
import { createLogger } from "../../../../src/log/logger.ts";
import { ConfigError } from "../../../../src/config/errors.ts";
import { openStorage } from "../../../../src/issuer/storage/registry.ts";
import type { Storage } from "../../../../src/issuer/storage/storage.ts";
import type { ConnectorDeps } from "../../../../src/issuer/connectors/connector.ts";
import { openLocalConnector, type StaticPassword } from "../../../../src/issuer/connectors/local/local-connector.ts";
import { openConnector } from "../../../../src/issuer/connectors/registry.ts";
import { connectorConformance, type ConnectorUnderTest } from "../../../conformance/connector.ts";

const clock = { now: () => Date.now() };
const quietDeps: ConnectorDeps = { clock, logger: createLogger({ level: "silent" }), fetch: globalThis.fetch };
const scopes = { offlineAccess: false, groups: true };
/** Dex's documented example (examples/config-dev.yaml): the hash of "password". */
const DEX_EXAMPLE = { email: "admin@example.com", hash: "$2a$10$2b2cU8CPhOTaGrs1HRQuAueS7JTT5ZHsHSzYiFPm1leZck7Mc8T4W", username: "admin", userID: "08a8684b-db88-4b73-90a9-3cd1661f5466" };
const bob: StaticPassword = { email: "bob@example.com", hash: bcrypt.hashSync("bob-password", 4), username: "bob", userID: "u-bob", groups: ["static"] };
const ALICE_PW = "alice-correct-horse";

test("Dex's example staticPasswords entry logs in with \"password\"", async () => {
  const c = await openLocalConnector("local", "Email", { staticPasswords: [DEX_EXAMPLE] }, quietDeps);
  const id = await c.login(scopes, "Admin@Example.com", "password");
  assert.deepEqual(id && { userID: id.userID, username: id.username, email: id.email, groups: id.groups },
    { userID: DEX_EXAMPLE.userID, username: "admin", email: "admin@example.com", groups: [] });
  assert.equal(await c.login(scopes, "admin@example.com", "Password"), undefined);
});

test("$2a$, $2b$ and $2y$ hashes all verify", async () => {
  const h = bcrypt.hashSync("pw", 4).slice(4);
  for (const prefix of ["$2a$", "$2b$", "$2y$"]) {
    const c = await openLocalConnector("local", "Email", { staticPasswords: [{ ...bob, hash: prefix + h }] }, quietDeps);
    assert.equal((await c.login(scopes, bob.email, "pw"))?.userID, "u-bob", prefix);
  }
});

test("config problems name the field: a bad hash, a repeated email", async () => {
  const bad = { type: "local", id: "local", name: "Email", config: { staticPasswords: [bob, { ...DEX_EXAMPLE, hash: "password" }] } };
  await assert.rejects(openConnector(bad, quietDeps, { path: "connectors[0]" }), (e) => e instanceof ConfigError
    && e.lines().join("\n") === 'kubeward: connectors[0].config.staticPasswords[1].hash: must be a bcrypt hash ($2a$, $2b$ or $2y$) (got "password")');
  const twice = { ...bad, config: { staticPasswords: [bob, { ...bob, email: "BOB@example.com", userID: "u-2" }] } };
  await assert.rejects(openConnector(twice, quietDeps, { path: "connectors[0]" }), (e) => e instanceof ConfigError
    && e.lines().join("\n") === "kubeward: connectors[0].config.staticPasswords[1].email: the same email as staticPasswords[0]");
});

test("an unknown email takes as long as a wrong password (a bcrypt comparison against a stand-in hash)", async () => {
  const slow = { ...bob, hash: bcrypt.hashSync("bob-password", 8) };
  const c = await openLocalConnector("local", "Email", { staticPasswords: [slow] }, quietDeps);
  const median = async (email: string) => {
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      assert.equal(await c.login(scopes, email, "wrong"), undefined);
      times.push(performance.now() - t0);
    }
    return times.sort((a, b) => a - b)[2] ?? 0;
  };
  const known = await median(bob.email);
  const unknown = await median("nobody@example.com");
  assert.ok(unknown > known * 0.5 && unknown < known * 2, `unknown ${unknown.toFixed(1)} ms vs known ${known.toFixed(1)} ms`);
});

/** A local connector over `storage` with alice stored and bob static; alice is the user under test. */
async function storedAlice(storage: Storage, deps: ConnectorDeps, takeDown: () => Promise<void>): Promise<ConnectorUnderTest> {
  const alice = { email: "alice@example.com", hash: await bcrypt.hash(ALICE_PW, 4), username: "alice", userID: "u-alice", groups: ["dev"] };
  await storage.createPassword(alice);
  const connector = await openLocalConnector("local", "Email", { staticPasswords: [bob] }, { ...deps, passwords: storage });
  return {
    connector,
    expected: { username: "alice", email: "alice@example.com", groups: ["dev"] },
    login: (s) => connector.login(s, "alice@example.com", ALICE_PW),
    loginWrong: (s) => connector.login(s, "alice@example.com", `${ALICE_PW}!`),
    setGroups: async (groups) => void await storage.updatePassword(alice.email, (e) => ({ ...e, groups: [...groups] })),
    removeUser: async () => void await storage.deletePassword(alice.email),
    takeDown,
    secrets: () => [ALICE_PW, alice.hash],
    close: () => storage.close(),
  };
}

connectorConformance("local (stored user, memory storage)", async (deps) => {
  const storage = await openStorage({ type: "memory", config: {} }, { clock });
  let down = false;
  const flaky = new Proxy(storage, {
    get: (target, key) => (key === "getPassword" && down ? () => Promise.reject(new Error("connection refused")) : Reflect.get(target, key)),
  });
  return storedAlice(flaky, deps, () => { down = true; return Promise.resolve(); });
});

connectorConformance("local (stored user, sqlite storage)", async (deps) => {
  const dir = await mkdtemp(join(tmpdir(), "kubeward-local-"));
  const storage = await openStorage({ type: "sqlite", config: { file: join(dir, "issuer.db") } }, { clock });
  const t = await storedAlice(storage, deps, () => storage.close());
  return { ...t, close: () => rm(dir, { recursive: true, force: true }) };
});

connectorConformance("local (static user)", async (deps) => {
  const connector = await openLocalConnector("local", "Email", { staticPasswords: [bob] }, deps);
  return {
    connector,
    expected: { username: "bob", email: "bob@example.com", groups: ["static"] },
    login: (s) => connector.login(s, "bob@example.com", "bob-password"),
    loginWrong: (s) => connector.login(s, "bob@example.com", "bob-passwort"),
    secrets: () => ["bob-password", bob.hash],
    close: () => Promise.resolve(),
  };
});
