/**
 * What the admin commands (revoke, block, revocations) share: the connection
 * flags, splitting positionals from flags, calling the API and turning its
 * answer or a failure into one line that names the flag at fault.
 */
import { readFile } from "node:fs/promises";
import { flagLines, parseFlags, str, type FlagDef, type FlagValues } from "../login/flag-parser.ts";
import { EXIT, type CliIo } from "../cli/io.ts";
import { adminRequest, type AdminClientOptions, type AdminResponse } from "./client.ts";

/** The flags every admin command takes. */
export const CONNECTION_FLAGS: readonly FlagDef[] = [
  { name: "server", type: "string", arg: "URL", help: "The admin API's URL (https://host:port); or KUBEWARD_ADMIN_SERVER." },
  { name: "certificate-authority", type: "string", arg: "FILE", help: "CA certificate that signed the admin API's serving certificate." },
  { name: "client-certificate", type: "string", arg: "FILE", help: "Client certificate for mutual TLS (with --client-key)." },
  { name: "client-key", type: "string", arg: "FILE", help: "Private key of --client-certificate." },
  { name: "token", type: "string", arg: "TOKEN", help: "A bearer token whose groups include the admin group; or KUBEWARD_ADMIN_TOKEN." },
];

/** A parsed admin command line, or the exit code after its help or its problems were printed. */
export type Parsed = { readonly positionals: string[]; readonly values: FlagValues } | { readonly exit: number };

/** Prints `help` for --help/-h; otherwise splits `argv` into positionals and flags (`--flag value` or `--flag=value`) and prints problems. */
export function parseCommand(argv: readonly string[], defs: readonly FlagDef[], command: string, help: string, io: CliIo): Parsed {
  if (argv.includes("--help") || argv.includes("-h")) {
    io.stdout(help);
    return { exit: EXIT.ok };
  }
  const valued = new Set(defs.filter((d) => d.type !== "boolean").map((d) => `--${d.name}`));
  const positionals: string[] = [];
  const flags: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith("-")) positionals.push(arg);
    else flags.push(arg, ...(valued.has(arg) && i + 1 < argv.length ? [argv[++i] as string] : []));
  }
  const { values, problems } = parseFlags(flags, defs, `see 'kubeward ${command} --help'`);
  if (problems.list.length > 0) {
    io.stderr(problems.list.map((p) => `kubeward ${command}: ${p.path}: ${p.message}\n`).join(""));
    return { exit: EXIT.usage };
  }
  return { positionals, values };
}

/** Usage text: the synopsis, then every flag. */
export function usage(synopsis: string, defs: readonly FlagDef[]): string {
  return [synopsis, "", "Flags:", ...flagLines(defs), ""].join("\n");
}

/** Reads the connection flags; a problem is thrown as one line naming the flag. */
export async function clientOptions(values: FlagValues, env: NodeJS.ProcessEnv): Promise<AdminClientOptions> {
  const server = str(values, "server") ?? env["KUBEWARD_ADMIN_SERVER"];
  if (server === undefined) throw new Error("--server: required (the admin API's https:// URL)");
  if (!/^https:\/\/[^/]+/.test(server)) throw new Error(`--server: must be an https:// URL (got ${JSON.stringify(server)})`);
  const cert = str(values, "client-certificate");
  const key = str(values, "client-key");
  if ((cert === undefined) !== (key === undefined)) throw new Error(`${cert === undefined ? "--client-certificate" : "--client-key"}: required with ${cert === undefined ? "--client-key" : "--client-certificate"}`);
  const token = str(values, "token") ?? env["KUBEWARD_ADMIN_TOKEN"];
  if (cert === undefined && token === undefined) throw new Error("--client-certificate/--client-key or --token: the admin API needs credentials");
  return {
    server,
    ...(await file(values, "certificate-authority", "caPem")),
    ...(await file(values, "client-certificate", "certPem")),
    ...(await file(values, "client-key", "keyPem")),
    ...(token === undefined ? {} : { token }),
  };
}

async function file(values: FlagValues, flag: string, field: string): Promise<Record<string, string>> {
  const path = str(values, flag);
  if (path === undefined) return {};
  try {
    return { [field]: await readFile(path, "utf8") };
  } catch (e) {
    throw new Error(`--${flag}: cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

/**
 * Calls the API; resolves with the response when its status is `expected`,
 * else prints one line (the server's message, or why it was unreachable) and
 * resolves with the exit code.
 */
export async function call(command: string, io: CliIo, values: FlagValues, method: string, path: string, body?: unknown): Promise<AdminResponse | number> {
  let options: AdminClientOptions;
  try {
    options = await clientOptions(values, io.env);
  } catch (e) {
    io.stderr(`kubeward ${command}: ${(e as Error).message}\n`);
    return EXIT.usage;
  }
  let res: AdminResponse;
  try {
    res = await adminRequest(options, method, path, body);
  } catch (e) {
    io.stderr(`kubeward ${command}: --server: cannot reach ${options.server}: ${describe(e)}\n`);
    return EXIT.failed;
  }
  if (res.status < 300) return res;
  io.stderr(`kubeward ${command}: ${explain(res)}\n`);
  return EXIT.failed;
}

function describe(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === "UNABLE_TO_VERIFY_LEAF_SIGNATURE" || code === "SELF_SIGNED_CERT_IN_CHAIN" || code === "DEPTH_ZERO_SELF_SIGNED_CERT") {
    return `the server's certificate is not trusted (check --certificate-authority)`;
  }
  return code ?? (e as Error).message;
}

function explain(res: AdminResponse): string {
  const body = (res.body ?? {}) as { error?: string; message?: string; detail?: string };
  const hint = res.status === 401 ? " (check --client-certificate/--client-key or --token)" : res.status === 403 ? " (the token's user is not in the admin group)" : "";
  const what = body.message ?? `HTTP ${res.status}`;
  return `${what}${body.detail === undefined ? "" : `: ${body.detail}`}${hint}`;
}
