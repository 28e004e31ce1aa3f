/**
 * Shared by the deploy e2e suites: the pinned helm from scripts/helm.sh, chart
 * rendering, and reading rendered YAML streams.
 */
import { execFile } from "node:child_process";
import { accessSync, constants, readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { parseAllDocuments } from "yaml";
import { fixturesDir } from "../../fixtures/cluster/binaries.ts";

export const REPO = join(import.meta.dirname, "..", "..", "..");
export const CHART = join(REPO, "deploy", "helm", "kubeward");
export const FULL_VALUES = join(CHART, "ci", "full-values.yaml");

/** A rendered Kubernetes object. */
export type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; [k: string]: unknown };

/** The helm binary scripts/helm.sh installs; throws naming the script when it is missing. */
export function helmBinary(): string {
  const version = /^HELM_VERSION=(\S+)$/m.exec(readFileSync(join(REPO, "scripts", "helm.sh"), "utf8"))?.[1];
  const bin = join(fixturesDir(), "bin", `helm-${version}`);
  try {
    accessSync(bin, constants.X_OK);
  } catch {
    throw new Error(`helm ${version} is missing at ${bin}: run scripts/helm.sh first`);
  }
  return bin;
}

/** Runs helm to completion; never rejects on a non-zero exit. */
export async function helm(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(helmBinary(), args, { env: { ...process.env, HELM_CACHE_HOME: "/tmp/kubeward-helm-cache", HELM_CONFIG_HOME: "/tmp/kubeward-helm-config" }, maxBuffer: 16 << 20 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    if (typeof err.code !== "number") throw e;
    return { code: err.code, stdout: err.stdout ?? "", stderr: err.stderr ?? "" };
  }
}

/** `helm template` of the chart as release `kubeward` in `namespace`; throws with helm's message on failure. */
export async function renderChart(namespace: string, ...args: string[]): Promise<{ text: string; objects: Obj[] }> {
  const r = await helm("template", "kubeward", CHART, "--namespace", namespace, ...args);
  if (r.code !== 0) throw new Error(`helm template failed: ${r.stderr}`);
  return { text: r.stdout, objects: parseObjects(r.stdout) };
}

/** The non-empty documents of a YAML stream. */
export function parseObjects(text: string): Obj[] {
  return parseAllDocuments(text).map((d) => d.toJS() as Obj | null).filter((o): o is Obj => o !== null);
}

/** The one object of `kind` (and `name` when given); throws when there is not exactly one. */
export function only(objects: readonly Obj[], kind: string, name?: string): Obj {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (found.length !== 1) throw new Error(`expected one ${kind}${name ? ` ${name}` : ""}, found ${found.length}`);
  return found[0] as Obj;
}
