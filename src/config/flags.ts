/**
 * Reads `kubeward proxy` flags the way Go's pflag does: `--flag=value` and
 * `--flag value`, booleans as `--flag` or `--flag=true|false`, slices and
 * maps repeatable and comma-separated. Every problem is collected.
 */
import { parseArgs } from "node:util";
import { Problems } from "./errors.ts";
import { FLAGS, HELP_HINT, unsupportedReason, type FlagSpec } from "./flag-table.ts";
import { got, parseBool } from "./values.ts";

/** A flag's value after parsing, by its type. */
export type FlagValue = string | boolean | string[] | Record<string, string> | Record<string, string[]>;

/** What the command line said, by flag name (without dashes). */
export interface ParsedFlags {
  readonly values: Readonly<Record<string, FlagValue>>;
  readonly problems: Problems;
  /** True when a flag or argument was not understood, so the other values may be misread. */
  readonly foreign: boolean;
}

type Token = NonNullable<ReturnType<typeof parseArgs>["tokens"]>[number];

const byName = new Map(FLAGS.map((f) => [f.name, f]));

/** Parses the flags after `kubeward proxy`. Never throws; problems name their flag. */
export function parseProxyFlags(argv: readonly string[]): ParsedFlags {
  const options = Object.fromEntries(
    FLAGS.map((f) => [f.name, { type: f.type === "boolean" ? "boolean" : "string", ...(f.short ? { short: f.short } : {}) } as const]),
  );
  const problems = new Problems();
  const args = dropSingleDashWords(argv, problems);
  const { tokens } = parseArgs({ args, options, strict: false, allowPositionals: true, tokens: true });
  const values: Record<string, FlagValue> = {};
  let foreign = !problems.empty;
  for (const token of tokens) {
    if (token.kind === "option") foreign = !readOption(token, values, problems) || foreign;
  }
  const positionals = tokens.filter((t) => t.kind === "positional");
  if (!foreign) for (const t of positionals) problems.add(JSON.stringify(t.value), `unexpected argument; ${HELP_HINT}`);
  return { values, problems, foreign: foreign || positionals.length > 0 };
}

/**
 * Reports single-dash words (`-secure-port`), which pflag refuses and
 * parseArgs would split into letters; `-P8080` (a value stuck to a
 * shorthand) and values of the flag before are kept.
 */
function dropSingleDashWords(argv: readonly string[], problems: Problems): string[] {
  const kept: string[] = [];
  for (const [i, arg] of argv.entries()) {
    if (arg === "--") return [...kept, ...argv.slice(i)];
    const prev = kept.at(-1) ?? "";
    const takesValue = !prev.includes("=") && FLAGS.some((f) => f.type !== "boolean" && (prev === `--${f.name}` || (f.short !== undefined && prev === `-${f.short}`)));
    const stuckValue = FLAGS.some((f) => f.type !== "boolean" && f.short !== undefined && arg.startsWith(`-${f.short}`));
    if (!takesValue && !stuckValue && /^-[^-].+/.test(arg)) problems.add(arg.split("=")[0] ?? arg, foreignMessage(arg.slice(1)));
    else kept.push(arg);
  }
  return kept;
}

function foreignMessage(name: string): string {
  const reason = unsupportedReason(name.split("=")[0] ?? name);
  return reason === undefined ? `unknown flag; ${HELP_HINT}` : `not supported by kubeward: ${reason}`;
}

/** Records one option; false when it is a flag kubeward does not know. */
function readOption(token: Extract<Token, { kind: "option" }>, values: Record<string, FlagValue>, problems: Problems): boolean {
  const spec = byName.get(token.name);
  if (!spec) {
    problems.add(token.rawName, foreignMessage(token.name));
    return false;
  }
  const path = `--${spec.name}`;
  if (spec.type === "boolean") {
    const b = token.value === undefined ? true : parseBool(token.value);
    if (b === undefined) problems.add(path, `must be true or false ${got(token.value)}`);
    else values[spec.name] = b;
    return true;
  }
  if (token.value === undefined) problems.add(path, `needs a value; ${HELP_HINT}`);
  else values[spec.name] = merge(spec, values[spec.name], token.value, problems);
  return true;
}

function merge(spec: FlagSpec, before: FlagValue | undefined, raw: string, problems: Problems): FlagValue {
  if (spec.type === "string") return raw;
  const items = raw.split(",").filter((s) => s !== "");
  if (spec.type === "list") return [...((before as string[] | undefined) ?? []), ...items];
  const pairs = items.flatMap((item) => {
    const eq = item.indexOf("=");
    if (eq > 0) return [[item.slice(0, eq), item.slice(eq + 1)] as const];
    problems.add(`--${spec.name}`, `must be key=value ${got(item)}`);
    return [];
  });
  if (spec.type === "map") return { ...((before as Record<string, string> | undefined) ?? {}), ...Object.fromEntries(pairs) };
  const multi: Record<string, string[]> = { ...((before as Record<string, string[]> | undefined) ?? {}) };
  for (const [k, v] of pairs) multi[k] = [...(multi[k] ?? []), v];
  return multi;
}
