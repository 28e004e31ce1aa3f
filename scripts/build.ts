/**
 * Builds dist/: src/cli/main.ts and everything it imports, dependencies
 * included, bundled by esbuild into dist/cli/main.js plus one chunk per lazily
 * imported part (the serve command, the login client, each issuer connector…),
 * so what a command does not use is still never loaded.
 *
 * Why a bundle: Node's module loaders cost memory per module file, and the
 * ~400 files of kubeward and its dependencies cost the proxy ~11 MB of
 * resident memory at idle (88–90 → 77–78 MB) and the login plugin ~9 MB and
 * 30 ms per kubectl call. Identifiers stay unminified so stack traces keep their
 * function names; source maps are written beside each file. The one
 * dependency left out is oidc-provider (see `external`).
 *
 * Usage: node scripts/build.ts [--outdir DIR]   (default: dist)
 */
import { build } from "esbuild";
import { chmodSync, rmSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";

/**
 * Bundles `entry` (relative to `root`, a kubeward checkout) into `outdir` as
 * dist/ is built; `outbase` keeps the entry's directory under `outdir`. The
 * bench bundles its issuer server with it, so it measures code built this way.
 * `outdir` must be inside `root`, where oidc-provider (left out) is found.
 */
export async function bundle(root: string, entry: string, outdir: string, outbase?: string): Promise<void> {
  rmSync(outdir, { recursive: true, force: true });
  await build({
    absWorkingDir: root,
    entryPoints: [entry],
    ...(outbase === undefined ? {} : { outbase }),
    outdir,
    entryNames: "[dir]/[name]",
    chunkNames: "chunks/[name]-[hash]",
    bundle: true,
    splitting: true,
    platform: "node",
    format: "esm",
    target: "node24",
    // The dependencies written as CommonJS call require() for Node's built-in modules.
    banner: { js: "import { createRequire as __kubewardCreateRequire } from \"node:module\"; const require = __kubewardCreateRequire(import.meta.url);" },
    // oidc-provider reads its models' class names at run time, which a bundle
    // does not keep unless every function gets __name() (keepNames), a
    // defineProperty per closure created: 15-25 % more CPU per proxied request.
    // Node loads it, and its dependencies, from node_modules instead.
    external: ["oidc-provider"],
    minifyWhitespace: true,
    minifySyntax: true,
    sourcemap: true,
    legalComments: "eof",
    logLevel: "warning",
  });
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { outdir: { type: "string", default: "dist" } } });
  const repo = join(import.meta.dirname, "..");
  const outdir = join(repo, values.outdir);
  await bundle(repo, "src/cli/main.ts", outdir, "src");
  chmodSync(join(outdir, "cli", "main.js"), 0o755);
}
