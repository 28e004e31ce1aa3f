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
 * function names; source maps are written beside each file. oidc-provider is
 * bundled on its own, into vendor/oidc-provider.js (see {@link bundleOidcProvider}).
 * The output loads nothing from node_modules ({@link assertSelfContained}), so
 * the image and a VM install ship dist/ alone.
 *
 * Usage: node scripts/build.ts [--outdir DIR]   (default: dist)
 */
import { build, type BuildOptions, type Metafile, type Plugin } from "esbuild";
import { chmodSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { isBuiltin } from "node:module";
import { dirname, join, relative, sep } from "node:path";
import { parseArgs } from "node:util";

/** What every bundle of kubeward shares. */
const COMMON: BuildOptions = {
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node24",
  // The dependencies written as CommonJS call require() for Node's built-in modules.
  banner: { js: "import { createRequire as __kubewardCreateRequire } from \"node:module\"; const require = __kubewardCreateRequire(import.meta.url);" },
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: true,
  legalComments: "eof",
  logLevel: "warning",
};

/** Where oidc-provider's bundle is written, under the output directory. */
export const OIDC_PROVIDER_FILE = join("vendor", "oidc-provider.js");

/**
 * The import specifier of oidc-provider in kubeward's own output until each
 * file's relative path to {@link OIDC_PROVIDER_FILE} replaces it; longer than
 * any such path, so that the replacement, padded with spaces after the
 * string, keeps every column and the source maps stay true.
 */
const OIDC_PROVIDER_PLACEHOLDER = "kubeward-build:oidc-provider-bundle-placeholder-0123456789abcdef";

/**
 * oidc-provider reads its models' and errors' class names at run time
 * (`ttl[this.name]`, `this.constructor.name`). A bundle keeps them when
 * nothing renames or drops them: minifySyntax drops the names of class
 * expressions, and esbuild renames a top-level name two modules share (with
 * a number after it). keepNames would put them back with __name(), a
 * defineProperty per function created, on about 1,000 functions here (15-25 %
 * more CPU per proxied request when it was applied to all of kubeward). So
 * oidc-provider and its dependencies are a bundle of their own, without
 * minifySyntax, that kubeward's output imports; {@link assertClassNamesKept}
 * fails the build on a renamed class, and test/unit/deploy/build.test.ts
 * checks the names dist/ keeps. Loaded from node_modules instead, its 334
 * module files cost `kubeward serve` ~15 MB more resident memory at idle
 * (Node's loader costs memory per file).
 */
async function bundleOidcProvider(root: string, outdir: string): Promise<void> {
  const outfile = join(outdir, OIDC_PROVIDER_FILE);
  const entry = "oidc-provider-bundle.js";
  const { metafile } = await build({
    ...COMMON,
    absWorkingDir: root,
    stdin: { contents: "export * from \"oidc-provider\"; export { default } from \"oidc-provider\";", resolveDir: root, sourcefile: entry },
    outfile,
    minifySyntax: false,
    metafile: true,
  });
  assertSelfContained(metafile, outfile);
  const inputs = Object.keys(metafile.inputs).filter((input) => input !== entry).map((input) => readFileSync(join(root, input), "utf8"));
  assertClassNamesKept(inputs, readFileSync(outfile, "utf8"), outfile);
}

/** The names classes are declared or bound under in `code`: `class X`, `X = class`. */
function classNames(code: string): Set<string> {
  const names = new Set<string>();
  for (const [, declared, bound] of code.matchAll(/\bclass\s+(?!extends\b)([\w$]+)|([\w$]+)\s*=\s*class\b/g)) names.add(declared ?? bound ?? "");
  return names;
}

/** Throws when `bundled` names a class under a name none of its `sources` gives a class (esbuild renamed it). */
export function assertClassNamesKept(sources: readonly string[], bundled: string, file: string): void {
  const declared = new Set(sources.flatMap((source) => [...classNames(source)]));
  const renamed = [...classNames(bundled)].filter((name) => !declared.has(name));
  if (renamed.length > 0) throw new Error(`build: ${file}: classes renamed (${renamed.join(", ")}); oidc-provider reads class names at run time`);
}

/**
 * Packages the bundled code may ask for and go without: `debug` (a dependency
 * of oidc-provider and node-saml) tries `require("supports-color")` for more
 * terminal colours and carries on when it is missing, as it is here.
 */
const OPTIONAL_PACKAGES: ReadonlySet<string> = new Set(["supports-color"]);

/**
 * Throws when an output of `metafile` imports anything but Node's built-in
 * modules, the oidc-provider bundle and {@link OPTIONAL_PACKAGES}: such an
 * import would be loaded from node_modules at run time, which the image and
 * the VM install do not ship.
 */
export function assertSelfContained(metafile: Metafile, what: string): void {
  const outside = new Set<string>();
  for (const output of Object.values(metafile.outputs)) {
    for (const { path, external } of output.imports) {
      if (external && !isBuiltin(path) && path !== OIDC_PROVIDER_PLACEHOLDER && !OPTIONAL_PACKAGES.has(path)) outside.add(path);
    }
  }
  if (outside.size > 0) throw new Error(`build: ${what}: imports ${[...outside].join(", ")} from node_modules, which dist/ must not need`);
}

/** Marks oidc-provider external, under {@link OIDC_PROVIDER_PLACEHOLDER}. */
const oidcProviderExternal: Plugin = {
  name: "oidc-provider-external",
  setup(b) {
    b.onResolve({ filter: /^oidc-provider$/ }, () => ({ path: OIDC_PROVIDER_PLACEHOLDER, external: true }));
  },
};

/** Points every import of the placeholder in `outdir`'s JavaScript files at the oidc-provider bundle. */
function linkOidcProvider(outdir: string): void {
  const quoted = `"${OIDC_PROVIDER_PLACEHOLDER}"`;
  for (const entry of readdirSync(outdir, { recursive: true, encoding: "utf8" })) {
    if (!entry.endsWith(".js")) continue;
    const file = join(outdir, entry);
    const code = readFileSync(file, "utf8");
    if (!code.includes(quoted)) continue;
    const path = relative(dirname(file), join(outdir, OIDC_PROVIDER_FILE)).split(sep).join("/");
    const specifier = `"${path.startsWith(".") ? path : `./${path}`}"`;
    if (specifier.length > quoted.length) throw new Error(`build: ${file}: the path to ${OIDC_PROVIDER_FILE} is longer than its placeholder`);
    writeFileSync(file, code.replaceAll(quoted, specifier.padEnd(quoted.length, " ")));
  }
}

/**
 * Bundles `entry` (relative to `root`, a kubeward checkout) into `outdir` as
 * dist/ is built; `outbase` keeps the entry's directory under `outdir`. The
 * bench bundles its issuer server with it, so it measures code built this way.
 */
export async function bundle(root: string, entry: string, outdir: string, outbase?: string): Promise<void> {
  rmSync(outdir, { recursive: true, force: true });
  const { metafile } = await build({
    ...COMMON,
    absWorkingDir: root,
    entryPoints: [entry],
    ...(outbase === undefined ? {} : { outbase }),
    outdir,
    entryNames: "[dir]/[name]",
    chunkNames: "chunks/[name]-[hash]",
    splitting: true,
    plugins: [oidcProviderExternal],
    metafile: true,
  });
  assertSelfContained(metafile, outdir);
  await bundleOidcProvider(root, outdir);
  linkOidcProvider(outdir);
  // The output is ES modules, wherever it is copied to (the image has no package.json of kubeward's).
  writeFileSync(join(outdir, "package.json"), `${JSON.stringify({ type: "module" })}\n`);
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { outdir: { type: "string", default: "dist" } } });
  const repo = join(import.meta.dirname, "..");
  const outdir = join(repo, values.outdir);
  await bundle(repo, "src/cli/main.ts", outdir, "src");
  chmodSync(join(outdir, "cli", "main.js"), 0o755);
}
