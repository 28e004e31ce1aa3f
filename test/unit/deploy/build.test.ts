/**
 * The build (scripts/build.ts): oidc-provider, bundled on its own into
 * dist/vendor, keeps the class names it reads at run time, and nothing in
 * dist/ is left to load from node_modules.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Metafile } from "esbuild";
import { assertClassNamesKept, assertSelfContained, OIDC_PROVIDER_FILE } from "../../../scripts/build.ts";
import { kubewardBin } from "../../tools/kubeward-bin.ts";

test("dist's oidc-provider bundle keeps the names of its models and errors", async (t) => {
  // oidc-provider warns of its development defaults (keys, interactions, adapter), which this test does not use.
  t.mock.method(console, "warn", () => undefined);
  // dist/, as kubewardBin() checks it was built from the current sources.
  const bundle = join(dirname(kubewardBin()), "..", OIDC_PROVIDER_FILE);
  const { default: Provider, errors } = (await import(pathToFileURL(bundle).href)) as typeof import("oidc-provider");
  // Each provider makes its own model classes; oidc-provider's types do not list them all.
  const models = new Provider("https://issuer.example", {}) as unknown as Record<string, { name: string }>;
  for (const model of ["AccessToken", "AuthorizationCode", "RefreshToken", "Session", "Grant", "Interaction", "DeviceCode"] as const) {
    assert.equal(models[model]?.name, model);
  }
  assert.equal(new errors.InvalidGrant("spent").name, "InvalidGrant");
  assert.equal(new errors.InvalidGrant("spent").error, "invalid_grant");
});

test("a class the bundler renamed fails the build, naming it", () => {
  const sources = ["export class KeyStore {}", "const AccessToken = class {};"];
  assert.doesNotThrow(() => assertClassNamesKept(sources, "var KeyStore = class {}, AccessToken = class extends KeyStore {};", "out.js"));
  assert.throws(() => assertClassNamesKept(sources, "var KeyStore2 = class {}; class AccessToken {}", "out.js"), /out\.js: classes renamed \(KeyStore2\)/);
});

/** A metafile whose one output imports `paths`, each external. */
function importing(...paths: string[]): Metafile {
  return { inputs: {}, outputs: { "dist/cli/main.js": { bytes: 1, inputs: {}, exports: [], imports: paths.map((path) => ({ path, kind: "require-call", external: true })) } } };
}

test("a build whose output would load a package from node_modules fails, naming the package", () => {
  assert.doesNotThrow(() => assertSelfContained(importing("node:fs", "zlib", "supports-color"), "dist"));
  assert.throws(() => assertSelfContained(importing("node:fs", "yaml", "ajv/dist/runtime/equal"), "dist"),
    /^Error: build: dist: imports yaml, ajv\/dist\/runtime\/equal from node_modules, which dist\/ must not need$/);
});

test("dist/ says its files are ES modules itself, so a copy of it runs without kubeward's package.json", () => {
  const dist = join(dirname(kubewardBin()), "..");
  assert.deepEqual(JSON.parse(readFileSync(join(dist, "package.json"), "utf8")), { type: "module" });
});
