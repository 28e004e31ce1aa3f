import { test } from "node:test";
import assert from "node:assert/strict";
import { createLogger } from "../../../../src/log/logger.ts";
import { isKubewardError } from "../../../../src/errors.ts";
import { openMockConnector } from "../../../../src/issuer/connectors/mock/mock-connector.ts";
import { isPasswordConnector, isRefreshConnector } from "../../../../src/issuer/connectors/connector.ts";
import { connectorConformance } from "../../../conformance/connector.ts";

const deps = { clock: { now: () => 0 }, logger: createLogger({ level: "silent" }), fetch: globalThis.fetch };
const scopes = { offlineAccess: true, groups: true };
const users = [{ username: "alice", password: "alice-pw", email: "Alice@example.com", groups: ["dev"], userID: "u-1" }];

test("mock logs in by username or email, and refuses a wrong password", async () => {
  const c = await openMockConnector("dev", "Dev", { users }, deps);
  assert.ok(isPasswordConnector(c) && isRefreshConnector(c));
  const byName = await c.login(scopes, "alice", "alice-pw");
  assert.deepEqual(byName?.groups, ["dev"]);
  assert.equal(byName?.userID, "u-1");
  assert.equal((await c.login(scopes, "alice@EXAMPLE.com", "alice-pw"))?.username, "alice");
  assert.equal(await c.login(scopes, "alice", "wrong"), undefined);
  assert.equal(await c.login(scopes, "nobody", ""), undefined);
  assert.deepEqual((await c.login({ offlineAccess: false, groups: false }, "alice", "alice-pw"))?.groups, []);
});

test("mock refresh refuses a user no longer in config", async () => {
  const c = await openMockConnector("dev", "Dev", { users }, deps);
  const id = await c.login(scopes, "alice", "alice-pw");
  assert.ok(id);
  assert.equal((await c.refresh(scopes, id)).email, "Alice@example.com");
  await assert.rejects(c.refresh(scopes, { ...id, userID: "u-gone" }), (e) => isKubewardError(e, "connector_refused"));
});

connectorConformance("mock", async (deps) => {
  const connector = await openMockConnector("dev", "Dev", { users }, deps);
  return {
    connector,
    expected: { username: "alice", email: "Alice@example.com", groups: ["dev"] },
    login: (s) => connector.login(s, "alice", "alice-pw"),
    loginWrong: (s) => connector.login(s, "alice", "alice-pw!"),
    secrets: () => ["alice-pw"],
    close: () => Promise.resolve(),
  };
});
