/**
 * The built `kubeward` executable (dist/cli/main.js, the bundle users run),
 * for tests that start kubeward as a process. `npm test` builds it first; run
 * by hand, a missing or stale build fails the test with what to do.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { cp } from "node:fs/promises";
import { dirname, join, relative } from "node:path";

const REPO = join(import.meta.dirname, "..", "..");
export const KUBEWARD_BIN = join(REPO, "dist", "cli", "main.js");

/** Newest modification time of any file under `dir`. */
function newestUnder(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/**
 * The Node flags in an entry's shebang (`#!/usr/bin/env -S node --flag …`, or
 * none with `#!/usr/bin/env node`), which the installed executable, the image
 * and the systemd unit run with: a test or benchmark that starts the entry
 * with `node` passes them too, so it runs kubeward as users do. Any other
 * first line throws: read as "no flags", it would quietly run kubeward
 * unlike its users.
 */
export function shebangFlags(entry: string): string[] {
  const first = readFileSync(entry, "utf8").split("\n", 1)[0] ?? "";
  if (first === "#!/usr/bin/env node") return [];
  const flags = /^#!\/usr\/bin\/env -S node((?: --[a-z0-9-]+(?:=\S+)?)+)$/.exec(first)?.[1];
  if (flags === undefined) throw new Error(`${entry}: the first line is not a node shebang with --flags: ${first}`);
  return flags.trim().split(" ");
}

let checked = false;

/** KUBEWARD_BIN, after checking (once per test process) that it was built after the last change to src/, package.json and the build script. */
export function kubewardBin(): string {
  if (checked) return KUBEWARD_BIN;
  let built: number;
  try {
    built = statSync(KUBEWARD_BIN).mtimeMs;
  } catch {
    throw new Error(`${KUBEWARD_BIN} does not exist: run \`npm run build\` first (npm test does)`);
  }
  const inputs = Math.max(newestUnder(join(REPO, "src")), statSync(join(REPO, "package.json")).mtimeMs, statSync(join(REPO, "scripts", "build.ts")).mtimeMs);
  if (inputs > built) throw new Error(`${KUBEWARD_BIN} is older than its sources: run \`npm run build\` first (npm test does)`);
  checked = true;
  return KUBEWARD_BIN;
}

/**
 * Copies the built dist/ into `dir` and returns the copy's executable: dist/
 * alone, with no node_modules in or above `dir`, as the image and a VM install
 * ship it, so whatever the bundle still loads from node_modules fails there.
 */
export async function kubewardBinCopy(dir: string): Promise<string> {
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(join(d, "node_modules"))) throw new Error(`${join(d, "node_modules")} exists: a copy of dist/ under it could load packages from there`);
    if (dirname(d) === d) break;
  }
  const dist = join(dirname(kubewardBin()), "..");
  await cp(dist, join(dir, "dist"), { recursive: true });
  return join(dir, "dist", relative(dist, KUBEWARD_BIN));
}
