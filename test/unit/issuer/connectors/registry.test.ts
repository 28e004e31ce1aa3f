import { test } from "node:test";
import assert from "node:assert/strict";
import { ConfigError } from "../../../../src/config/errors.ts";
import { createLogger } from "../../../../src/log/logger.ts";
import { openConnector, CONNECTOR_TYPES } from "../../../../src/issuer/connectors/registry.ts";
import { isPasswordConnector, type ConnectorDeps } from "../../../../src/issuer/connectors/connector.ts";

const deps: ConnectorDeps = { clock: { now: () => 0 }, logger: createLogger({ level: "silent" }), fetch: globalThis.fetch };
const alice = { username: "alice", password: "pw", email: "alice@example.com" };

async function problems(entry: Parameters<typeof openConnector>[0], allowMock = true): Promise<string[]> {
  const e = await openConnector(entry, deps, { allowMock, path: "connectors[1]" }).then(() => undefined, (err: unknown) => err);
  assert.ok(e instanceof ConfigError, String(e));
  return e.lines();
}

test("every registered type has a strict object schema", () => {
  for (const [type, entry] of Object.entries(CONNECTOR_TYPES)) {
    assert.deepEqual((entry.schema as { type?: string }).type, "object", type);
    assert.equal((entry.schema as { additionalProperties?: boolean }).additionalProperties, false, type);
  }
});

test("an unknown type names the field and the known types", async () => {
  assert.deepEqual(await problems({ type: "ldapp", id: "x", name: "X", config: {} }), [
    `kubeward: connectors[1].type: must be one of ${Object.keys(CONNECTOR_TYPES).sort().join(", ")} (got "ldapp")`,
  ]);
});

test("a type named like an Object property is unknown too", async () => {
  assert.match((await problems({ type: "constructor", id: "x", name: "X", config: {} }))[0] ?? "", /^kubeward: connectors\[1\]\.type: must be one of /);
});

test("mock is refused unless allowed, and the message says why and how", async () => {
  const [line] = await problems({ type: "mock", id: "dev", name: "Dev", config: { users: [alice] } }, false);
  assert.match(line ?? "", /^kubeward: connectors\[1\]\.type: the mock connector is for development only.*allowMockConnector: true/);
  const c = await openConnector({ type: "mock", id: "dev", name: "Dev", config: { users: [alice] } }, deps, { allowMock: true });
  assert.equal(c.type, "mock");
  await c.close();
});

test("every schema problem is reported at once, each with its path in the file", async () => {
  const lines = await problems({
    type: "mock", id: "", name: "Dev",
    config: { users: [{ ...alice, color: "red" }, { username: "bob", password: 7, email: "b@x" }], extra: 1 },
  });
  assert.deepEqual(lines.sort(), [
    "kubeward: connectors[1].config.extra: unknown field",
    "kubeward: connectors[1].config.users[0].color: unknown field",
    'kubeward: connectors[1].config.users[1].password: must be a string (got "7")',
    "kubeward: connectors[1].id: required",
  ]);
});

test("a missing required field is named", async () => {
  assert.deepEqual(await problems({ type: "mock", id: "dev", name: "Dev", config: {} }), ["kubeward: connectors[1].config.users: required"]);
});

test("the connector keeps the config it was opened with, whatever the caller changes later", async () => {
  const config = { users: [{ ...alice }] };
  const c = await openConnector({ type: "mock", id: "dev", name: "Dev", config }, deps, { allowMock: true });
  config.users[0]!.password = "changed";
  assert.ok(isPasswordConnector(c));
  assert.equal((await c.login({ offlineAccess: false, groups: false }, "alice", "pw"))?.username, "alice");
  assert.equal(await c.login({ offlineAccess: false, groups: false }, "alice", "changed"), undefined);
});
