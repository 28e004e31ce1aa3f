/**
 * `kubeward revocations list | lift ID`: what is in force (a table), and
 * lifting a revocation or block by its id.
 */
import { call, CONNECTION_FLAGS, parseCommand, usage } from "../admin/cli.ts";
import type { Block, Revocation } from "../revocation/model.ts";
import { EXIT, type CliIo } from "./io.ts";

const USAGE = usage("Usage: kubeward revocations list | lift ID [flags]\n\nLists the revocations and blocks in force, or lifts one by its id.", CONNECTION_FLAGS);

/** Runs `kubeward revocations`. */
export async function runRevocations(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommand(argv, CONNECTION_FLAGS, "revocations", USAGE, io);
  if ("exit" in parsed) return parsed.exit;
  const [verb, id, ...extra] = parsed.positionals;
  if (verb === "list" && id === undefined) {
    const res = await call("revocations", io, parsed.values, "GET", "/v1/revocations");
    if (typeof res === "number") return res;
    io.stdout(table(res.body as { revocations: Revocation[]; blocks: Block[] }));
    return EXIT.ok;
  }
  if (verb === "lift" && id !== undefined && extra.length === 0) {
    const res = await call("revocations", io, parsed.values, "DELETE", `/v1/revocations/${encodeURIComponent(id)}`);
    if (typeof res === "number") return res;
    io.stdout(`lifted ${id}\n`);
    return EXIT.ok;
  }
  io.stderr("kubeward revocations: expected 'list' or 'lift ID'; see 'kubeward revocations --help'\n");
  return EXIT.usage;
}

/** The list as an aligned table, newest first. */
export function table(list: { revocations: readonly Revocation[]; blocks: readonly Block[] }): string {
  const rows = [
    ...list.revocations.map((r) => ({ at: r.created, cells: [r.id, "revoke", r.kind, r.name || "*", new Date(r.created).toISOString(), "-", r.actor, r.reason] })),
    ...list.blocks.map((b) => ({ at: b.created, cells: [b.id, "block", b.kind, b.name, new Date(b.created).toISOString(), b.until === undefined ? "until lifted" : new Date(b.until).toISOString(), b.actor, b.reason] })),
  ].sort((a, b) => b.at - a.at).map((r) => r.cells);
  if (rows.length === 0) return "No revocations or blocks in force.\n";
  const header = ["ID", "EFFECT", "KIND", "NAME", "SINCE", "UNTIL", "BY", "REASON"];
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? "").length)));
  return all.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join("  ").trimEnd()).join("\n") + "\n";
}
