/**
 * `kubeward revoke user NAME | group NAME | all [--reason …]`: tokens issued
 * before now stop working at every proxy on the storage; logins after it work.
 */
import { call, CONNECTION_FLAGS, parseCommand, usage } from "../admin/cli.ts";
import { str, type FlagDef } from "../login/flag-parser.ts";
import { EXIT, type CliIo } from "./io.ts";

const FLAGS: readonly FlagDef[] = [{ name: "reason", type: "string", arg: "TEXT", help: "Why, for the audit log and the list." }, ...CONNECTION_FLAGS];
const USAGE = usage("Usage: kubeward revoke user NAME | group NAME | all [--reason TEXT] [flags]\n\nRefuses every token of the user, the group or everyone issued before now,\nends their open connections, and revokes their refresh tokens.", FLAGS);

/** Runs `kubeward revoke`. */
export async function runRevoke(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommand(argv, FLAGS, "revoke", USAGE, io);
  if ("exit" in parsed) return parsed.exit;
  const [kind, name, ...extra] = parsed.positionals;
  const named = kind === "user" || kind === "group";
  if (!((kind === "all" && name === undefined) || (named && name !== undefined)) || extra.length > 0) {
    io.stderr("kubeward revoke: expected 'user NAME', 'group NAME' or 'all'; see 'kubeward revoke --help'\n");
    return EXIT.usage;
  }
  const body = { kind, ...(named ? { name } : {}), reason: str(parsed.values, "reason") ?? "" };
  const res = await call("revoke", io, parsed.values, "POST", "/v1/revocations", body);
  if (typeof res === "number") return res;
  const r = res.body as { id: string; before: number };
  io.stdout(`revoked ${kind === "all" ? "all tokens" : `${kind} ${name}`} issued before ${new Date(r.before).toISOString()} (id ${r.id})\n`);
  return EXIT.ok;
}
