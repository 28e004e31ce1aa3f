/**
 * Reads the `kubeward serve --config` YAML file: syntax errors with
 * line:col, then {@link serveSchema} with every error named by its path.
 */
import type { Problems } from "../config/errors.ts";
import { readYamlFile } from "../config/file.ts";
import { schemaProblems } from "../issuer/connectors/config-problems.ts";
import { serveSchema, type ServeFile } from "./schema.ts";

/** ajv's own line for a failed `if` (the proxy's one-or-many `oidc`); the branch's errors say what is wrong. */
const IF_BRANCH = /^must match "(then|else)" schema$/;

/** Checks parsed data against the schema; the data when it passes. */
export function checkServeFile(data: unknown, problems: Problems): ServeFile | undefined {
  const found = schemaProblems(serveSchema, data, "").filter((p) => !IF_BRANCH.test(p.message));
  for (const p of found) problems.add(p.path === "" ? "config" : p.path, p.message);
  return found.length === 0 ? (data as ServeFile) : undefined;
}

/** Reads and checks the file; undefined (with problems recorded) when it is not usable. */
export async function readServeFile(file: string, problems: Problems): Promise<ServeFile | undefined> {
  const data = await readYamlFile(file, problems);
  return data === undefined ? undefined : checkServeFile(data, problems);
}
