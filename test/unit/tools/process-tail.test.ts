import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startProcess } from "../../fixtures/cluster/process.ts";

test("a child's tail gives the last lines of its log, and says so when the log is gone instead of throwing", async () => {
  const dir = mkdtempSync(join(tmpdir(), "kubeward-tail-"));
  try {
    const child = startProcess("printer", "/bin/sh", ["-c", "echo one; echo two; echo three; exit 3"], dir);
    assert.equal(await child.exited, 3);
    assert.equal(child.tail(2), "two\nthree");
    rmSync(dir, { recursive: true, force: true });
    assert.match(child.tail(), /^\(no log: .*ENOENT/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
