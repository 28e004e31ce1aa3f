import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));

test("the proxy's modules load without Node's bundled undici (memory it never uses)", () => {
  const script = 'await import("./src/cli/proxy.ts"); console.log(JSON.stringify(process.moduleLoadList.filter((m) => m.includes("undici"))));';
  const loaded = JSON.parse(execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: root, encoding: "utf8", timeout: 60_000 })) as string[];
  assert.deepEqual(loaded, []);
});
