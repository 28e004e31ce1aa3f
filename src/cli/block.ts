/**
 * `kubeward block user|group NAME [--for 2h] [--reason …]`: every token of
 * the user or group is refused, whatever its age, until lifted or lapsed.
 */
import { call, CONNECTION_FLAGS, parseCommand, usage } from "../admin/cli.ts";
import { str, type FlagDef } from "../login/flag-parser.ts";
import { EXIT, type CliIo } from "./io.ts";

const FLAGS: readonly FlagDef[] = [
  { name: "for", type: "string", arg: "DURATION", help: "How long, e.g. 90s, 30m, 2h, 7d; until lifted when absent." },
  { name: "reason", type: "string", arg: "TEXT", help: "Why, for the audit log and the list." },
  ...CONNECTION_FLAGS,
];
const USAGE = usage("Usage: kubeward block user|group NAME [--for DURATION] [--reason TEXT] [flags]\n\nRefuses every token of the user or group (new logins too) and ends their open connections.", FLAGS);
const UNITS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3_600, d: 86_400 };

/** Seconds in a duration like `2h`; undefined when it is not one. */
export function durationSeconds(text: string): number | undefined {
  const match = /^(\d+)([smhd])$/.exec(text);
  if (match === null) return undefined;
  const seconds = Number(match[1]) * (UNITS[match[2] as string] as number);
  return seconds > 0 ? seconds : undefined;
}

/** Runs `kubeward block`. */
export async function runBlock(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommand(argv, FLAGS, "block", USAGE, io);
  if ("exit" in parsed) return parsed.exit;
  const [kind, name, ...extra] = parsed.positionals;
  if ((kind !== "user" && kind !== "group") || name === undefined || extra.length > 0) {
    io.stderr("kubeward block: expected 'user NAME' or 'group NAME'; see 'kubeward block --help'\n");
    return EXIT.usage;
  }
  const forText = str(parsed.values, "for");
  const forSeconds = forText === undefined ? undefined : durationSeconds(forText);
  if (forText !== undefined && forSeconds === undefined) {
    io.stderr(`kubeward block: --for: must be a positive duration like 90s, 30m, 2h or 7d (got ${JSON.stringify(forText)})\n`);
    return EXIT.usage;
  }
  const body = { kind, name, reason: str(parsed.values, "reason") ?? "", ...(forSeconds === undefined ? {} : { forSeconds }) };
  const res = await call("block", io, parsed.values, "POST", "/v1/blocks", body);
  if (typeof res === "number") return res;
  const b = res.body as { id: string; until?: number };
  io.stdout(`blocked ${kind} ${name} ${b.until === undefined ? "until lifted" : `until ${new Date(b.until).toISOString()}`} (id ${b.id})\n`);
  return EXIT.ok;
}
