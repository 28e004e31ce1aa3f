/**
 * Reads the `--config` YAML file: syntax errors with line:col, then the JSON
 * Schema (src/config/schema.ts) with every error named by its field path.
 */
import { readFile } from "node:fs/promises";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { parseDocument } from "yaml";
import type { Problems } from "./errors.ts";
import { fileSchema, type FileConfig } from "./schema.ts";
import { got } from "./values.ts";

let compiled: ValidateFunction | undefined;

/** The proxy file's validator, compiled on first use: `kubeward serve` imports this module for {@link readYamlFile} only. */
function validator(): ValidateFunction {
  compiled ??= new Ajv({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true }).compile(fileSchema);
  return compiled;
}

/**
 * Reads a YAML config file named by `--config`; unreadable files and syntax
 * errors (with line:col) become problems and yield undefined. An empty file
 * is an empty mapping.
 */
export async function readYamlFile(file: string, problems: Problems): Promise<unknown> {
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
  return doc.errors.length > 0 ? undefined : (doc.toJS() ?? {});
}

/** Reads and checks the file; undefined (with problems recorded) when it is not usable. */
export async function readConfigFile(file: string, problems: Problems): Promise<FileConfig | undefined> {
  const data = await readYamlFile(file, problems);
  if (data === undefined) return undefined;
  const validate = validator();
  if (validate(data)) return data as FileConfig;
  for (const err of validate.errors ?? []) {
    if (err.keyword !== "if") problems.add(fieldPath(err, file), describe(err));
  }
  return undefined;
}

/** `/oidc/0/issuerURL` → `oidc[0].issuerURL`; the file name for the root. */
function fieldPath(err: ErrorObject, file: string): string {
  const segments = err.instancePath.split("/").slice(1).map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"));
  if (err.keyword === "additionalProperties") segments.push(String(err.params["additionalProperty"]));
  let path = "";
  for (const s of segments) {
    if (/^[0-9]+$/.test(s)) path += `[${s}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(s)) path += path === "" ? s : `.${s}`;
    else path += `[${JSON.stringify(s)}]`;
  }
  return path === "" ? file : path;
}

const TYPE_WORDS: Readonly<Record<string, string>> = {
  string: "a string", integer: "a whole number", boolean: "true or false", array: "a list", object: "a mapping",
  "string,array": "a string or a list of strings",
};

function describe(err: ErrorObject): string {
  switch (err.keyword) {
    case "additionalProperties":
      return "unknown field";
    case "type": {
      const want = TYPE_WORDS[String(err.params["type"])] ?? String(err.params["type"]);
      return `must be ${want} ${got(typeof err.data === "object" ? JSON.stringify(err.data) : err.data)}`;
    }
    case "minLength":
      return "must not be empty";
    case "minItems":
      return `must list at least ${String(err.params["limit"])}`;
    case "maxItems":
      return `must list at most ${String(err.params["limit"])}`;
    default:
      return err.message ?? err.keyword;
  }
}
