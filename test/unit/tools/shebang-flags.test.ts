import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { shebangFlags } from "../../tools/kubeward-bin.ts";

/** shebangFlags of a file whose first line is `firstLine`. */
function flagsOf(firstLine: string): string[] {
  const dir = mkdtempSync(join(tmpdir(), "kubeward-shebang-"));
  try {
    const entry = join(dir, "main.js");
    writeFileSync(entry, `${firstLine}\nconsole.log(1);\n`);
    return shebangFlags(entry);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("the Node flags of kubeward's own entry are read, the ones its users run with", () => {
  const flags = shebangFlags(join(import.meta.dirname, "..", "..", "..", "src", "cli", "main.ts"));
  assert.ok(flags.includes("--max-semi-space-size=8"), flags.join(" "));
  assert.ok(flags.every((f) => f.startsWith("--")), flags.join(" "));
});

test("a node shebang gives its flags, or none", () => {
  assert.deepEqual(flagsOf("#!/usr/bin/env -S node --max-semi-space-size=8 --liftoff-only"), ["--max-semi-space-size=8", "--liftoff-only"]);
  assert.deepEqual(flagsOf("#!/usr/bin/env node"), []);
});

test("a first line that is not a node shebang is refused, not read as no flags", () => {
  for (const line of ["#!/bin/sh", "import x from 'y';", "#!/usr/bin/env -S node", "#!/usr/bin/env -S node -r x"]) {
    assert.throws(() => flagsOf(line), /not a node shebang/, line);
  }
});
