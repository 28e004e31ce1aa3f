/** The storage registry: each backend's config schema, and opening by type name. */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { Ajv } from "ajv";
import { STORAGE_BACKENDS, openStorage } from "../../../../src/issuer/storage/registry.ts";

const clock = { now: () => Date.UTC(2026, 0, 1) };

test("each backend's schema accepts its config and rejects unknown or missing fields", () => {
  const ajv = new Ajv({ strict: true, allErrors: true });
  const memory = ajv.compile(STORAGE_BACKENDS.memory.schema);
  const sqlite = ajv.compile(STORAGE_BACKENDS.sqlite.schema);
  assert.equal(memory({}), true);
  assert.equal(memory({ file: "x.db" }), false);
  assert.equal(sqlite({ file: "/var/lib/kubeward/issuer.db" }), true);
  assert.equal(sqlite({}), false);
  assert.equal(sqlite.errors?.[0]?.params["missingProperty"], "file");
  assert.equal(sqlite({ file: "x.db", path: "y.db" }), false);
  assert.equal(sqlite({ file: "" }), false);
});

test("openStorage opens the backend the type names", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "kubeward-registry-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, "issuer.db");
  const sqlite = await openStorage({ type: "sqlite", config: { file } }, { clock });
  await sqlite.createRevocation({ id: "r1", kind: "all", reason: "drill", actor: "admin", createdAt: clock.now() });
  await sqlite.close();
  const reopened = await openStorage({ type: "sqlite", config: { file } }, { clock });
  assert.equal((await reopened.getRevocation("r1"))?.reason, "drill", "sqlite keeps what it stored");
  await reopened.close();
  const memory = await openStorage({ type: "memory", config: {} }, { clock });
  assert.deepEqual(await memory.listRevocations(), []);
  await memory.close();
});
