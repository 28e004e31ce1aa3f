/**
 * A pflag-style reader for the login-side commands' flags: `--flag=value`,
 * `--flag value`, booleans as `--flag` or `--flag=true|false`, lists
 * repeatable and comma-separated. Every problem names its flag.
 */
import { parseArgs } from "node:util";
import { Problems } from "../config/errors.ts";
import { got, parseBool } from "../config/values.ts";

/** One flag a command accepts. */
export interface FlagDef {
  readonly name: string;
  readonly type: "string" | "boolean" | "list";
  /** Placeholder for the value in the usage text. */
  readonly arg?: string;
  readonly help: string;
  /** The default as the usage text shows it. */
  readonly shown?: string;
}

/** The values read, by flag name; lists accumulate. */
export type FlagValues = Readonly<Record<string, string | boolean | readonly string[]>>;

/** What the command line said. */
export interface ParsedArgs {
  readonly values: FlagValues;
  readonly problems: Problems;
}

/** Parses `argv` against `defs`; unknown flags and positional arguments are problems ending with `hint`. */
export function parseFlags(argv: readonly string[], defs: readonly FlagDef[], hint: string): ParsedArgs {
  const byName = new Map(defs.map((d) => [d.name, d]));
  const options = Object.fromEntries(defs.map((d) => [d.name, { type: d.type === "boolean" ? "boolean" : "string" } as const]));
  const problems = new Problems();
  const values: Record<string, string | boolean | string[]> = {};
  const { tokens } = parseArgs({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true });
  for (const token of tokens) {
    if (token.kind === "positional") problems.add(JSON.stringify(token.value), `unexpected argument; ${hint}`);
    if (token.kind !== "option") continue;
    const def = byName.get(token.name);
    if (def === undefined || !token.rawName.startsWith("--")) {
      problems.add(token.rawName, `unknown flag; ${hint}`);
    } else if (def.type === "boolean") {
      const b = token.value === undefined ? true : parseBool(token.value);
      if (b === undefined) problems.add(`--${def.name}`, `must be true or false ${got(token.value)}`);
      else values[def.name] = b;
    } else if (token.value === undefined) {
      problems.add(`--${def.name}`, `needs a value; ${hint}`);
    } else if (def.type === "list") {
      values[def.name] = [...((values[def.name] as string[] | undefined) ?? []), ...token.value.split(",").filter((s) => s !== "")];
    } else {
      values[def.name] = token.value;
    }
  }
  return { values, problems };
}

/** Reads a string flag's value. */
export function str(values: FlagValues, name: string): string | undefined {
  const v = values[name];
  return typeof v === "string" ? v : undefined;
}

/** Reads a boolean flag's value (false when absent). */
export function bool(values: FlagValues, name: string): boolean {
  return values[name] === true;
}

/** Reads a list flag's values (empty when absent). */
export function list(values: FlagValues, name: string): readonly string[] {
  const v = values[name];
  return Array.isArray(v) ? v : [];
}

/** Usage lines for `defs`, one a flag. */
export function flagLines(defs: readonly FlagDef[]): string[] {
  return defs.map((d) => {
    const head = `--${d.name}${d.arg ? ` ${d.arg}` : ""}`;
    return `  ${head.padEnd(46)} ${d.help}${d.shown === undefined ? "" : ` (default ${d.shown})`}`;
  });
}
