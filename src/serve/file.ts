/**
 * Reads the `kubeward serve --config` YAML file: syntax errors with
 * line:col, then {@link serveSchema} with every error named by its path.
 */
import { readFile } from "node:fs/promises";
import { parseDocument } from "yaml";
import type { Problems } from "../config/errors.ts";
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
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    problems.add("--config", `cannot read ${JSON.stringify(file)}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    return undefined;
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  for (const err of doc.errors) {
    const pos = err.linePos?.[0];
    problems.add(pos ? `${file}:${pos.line}:${pos.col}` : file, err.message.split(" at line ")[0] ?? err.message);
  }
  if (doc.errors.length > 0) return undefined;
  return checkServeFile(doc.toJS() ?? {}, problems);
}
