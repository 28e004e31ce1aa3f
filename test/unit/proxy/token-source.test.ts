import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTokenSource, TOKEN_FILE_REFRESH_MS } from "../../../src/proxy/token-source.ts";
import { createLogger } from "../../../src/log/logger.ts";

const logger = createLogger({ level: "silent" });

test("a static token is presented as is; no token means none", async () => {
  const clock = { now: () => 0 };
  assert.equal(await createTokenSource({ token: "static" }, clock, logger).token(), "static");
  assert.equal(await createTokenSource({}, clock, logger).token(), undefined);
});

test("a token file is re-read once the refresh period has passed, and a failed read keeps the last token", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "kubeward-token-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, "token");
  await writeFile(file, "first\n");
  let now = 1_000;
  const source = createTokenSource({ tokenFile: file }, { now: () => now }, logger);
  assert.equal(await source.token(), "first");
  await writeFile(file, "second\n");
  now += TOKEN_FILE_REFRESH_MS - 1;
  assert.equal(await source.token(), "first", "still fresh");
  now += 1;
  assert.equal(await source.token(), "second", "rotated token picked up");
  await rm(file);
  now += TOKEN_FILE_REFRESH_MS;
  assert.equal(await source.token(), "second");
});
