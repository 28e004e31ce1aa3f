/**
 * Turns a connector config's JSON Schema errors (ajv) into configuration
 * problems that name the field in the user's file, e.g.
 * `connectors[1].config.issuer: must be an https URL (got "http://x")`.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import type { ConfigProblem } from "../../config/errors.ts";
import { got } from "../../config/values.ts";

const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true });
const compiled = new WeakMap<object, ValidateFunction>();

const TYPE_WORDS: Readonly<Record<string, string>> = {
  string: "a string", integer: "a whole number", number: "a number", boolean: "true or false",
  array: "a list", object: "a mapping",
};

/**
 * Validates `data` against `schema`. A string property whose value must match
 * a `pattern` says what it must be in its `description` ("an https URL"),
 * which becomes the message. Returns every problem, each path under `prefix`.
 */
export function schemaProblems(schema: object, data: unknown, prefix: string): ConfigProblem[] {
  let validate = compiled.get(schema);
  if (validate === undefined) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  if (validate(data)) return [];
  return (validate.errors ?? []).map((err) => ({ path: fieldPath(err, prefix), message: describe(err) }));
}

/** `prefix` followed by a path in the config, `a.b[0]` style. */
export function joinPath(prefix: string, ...segments: readonly (string | number)[]): string {
  let path = prefix;
  for (const s of segments) {
    if (typeof s === "number" || /^[0-9]+$/.test(s)) path += `[${s}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(s)) path += path === "" ? s : `.${s}`;
    else path += `[${JSON.stringify(s)}]`;
  }
  return path;
}

function fieldPath(err: ErrorObject, prefix: string): string {
  const segments = err.instancePath.split("/").slice(1).map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"));
  if (err.keyword === "additionalProperties") segments.push(String(err.params["additionalProperty"]));
  if (err.keyword === "required") segments.push(String(err.params["missingProperty"]));
  return joinPath(prefix, ...segments);
}

function describe(err: ErrorObject): string {
  switch (err.keyword) {
    case "additionalProperties":
      return "unknown field";
    case "required":
      return "required";
    case "type": {
      const want = TYPE_WORDS[String(err.params["type"])] ?? String(err.params["type"]);
      return `must be ${want} ${got(typeof err.data === "object" ? JSON.stringify(err.data) : err.data)}`;
    }
    case "pattern":
    case "enum": {
      const description = (err.parentSchema as { description?: string } | undefined)?.description;
      const want = description ?? (err.keyword === "enum" ? `one of ${(err.params["allowedValues"] as unknown[]).join(", ")}` : "valid");
      return `must be ${want} ${got(err.data)}`;
    }
    case "minLength":
      return "must not be empty";
    case "minItems":
      return `must list at least ${String(err.params["limit"])}`;
    case "uniqueItems":
      return "must not list the same value twice";
    default:
      return err.message ?? err.keyword;
  }
}
