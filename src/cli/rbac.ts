/**
 * `kubeward rbac`: prints the proxy's least-privilege ClusterRole and binding,
 * derived from the same `--config` file and flags `kubeward proxy` reads.
 */
import { dirname } from "node:path";
import { Problems, formatProblem } from "../config/errors.ts";
import { readConfigFile } from "../config/file.ts";
import { parseProxyFlags } from "../config/flags.ts";
import { fromFile, fromFlags, mergeSettings, type Settings } from "../config/settings.ts";
import { DEFAULT_RBAC_OPTIONS, renderProxyRbac, type ProxyRbacOptions } from "../deploy/rbac.ts";
import { flagLines, list, parseFlags, str, type FlagDef } from "../login/flag-parser.ts";
import { EXIT, type CliIo } from "./io.ts";

const HINT = "see 'kubeward rbac --help'";
const DEFAULT_SA = DEFAULT_RBAC_OPTIONS.serviceAccount ?? { namespace: "kubeward", name: "kubeward-proxy" };

/** The flags of `kubeward rbac` itself; every other flag is read as a `kubeward proxy` flag. */
export const RBAC_FLAGS: readonly FlagDef[] = [
  { name: "name", type: "string", arg: "NAME", shown: DEFAULT_RBAC_OPTIONS.name, help: "Name of the ClusterRole and ClusterRoleBinding." },
  { name: "namespace", type: "string", arg: "NS", shown: DEFAULT_SA.namespace, help: "Namespace of the proxy's ServiceAccount." },
  { name: "service-account", type: "string", arg: "NAME", shown: DEFAULT_SA.name, help: "The proxy's ServiceAccount; '-' binds none (a proxy outside the cluster)." },
  { name: "user", type: "list", arg: "NAME", help: "Also bind this user (the CN of the proxy's client certificate); repeatable." },
  { name: "client-extra-key", type: "list", arg: "KEY", help: "An extra key clients may impersonate through the proxy (kubectl as-user-extra); repeatable." },
];

/** The `kubeward rbac --help` text. */
export function rbacUsage(): string {
  return [
    "Usage: kubeward rbac [--config FILE] [proxy flags] [flags]",
    "",
    "Prints the ClusterRole and ClusterRoleBinding the proxy's own identity needs: impersonate",
    "users, groups, serviceaccounts, uids and one userextras/<key> per extra key the proxy",
    "forwards (from --extra-user-headers, --extra-user-header-client-ip and the keys it always",
    "may send), and create TokenReviews and SubjectAccessReviews. Nothing more.",
    "Pipe it to 'kubectl apply -f -'.",
    "",
    "Flags:",
    ...flagLines(RBAC_FLAGS),
    "  --config FILE and the 'kubeward proxy' flags  Read as the proxy reads them.",
    "",
  ].join("\n");
}

/** Splits argv into this command's own flags and the proxy flags. */
function splitArgs(argv: readonly string[]): { own: string[]; proxy: string[] } {
  const names = new Set(RBAC_FLAGS.map((f) => `--${f.name}`));
  const own: string[] = [];
  const proxy: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const name = arg.split("=")[0] ?? arg;
    if (!names.has(name)) proxy.push(arg);
    else if (arg.includes("=") || i + 1 >= argv.length) own.push(arg);
    else own.push(arg, argv[++i] as string);
  }
  return { own, proxy };
}

/** The proxy settings that decide its extras, read like `kubeward proxy` reads them. */
async function proxySettings(argv: readonly string[], problems: Problems): Promise<Settings | undefined> {
  const flags = parseProxyFlags(argv);
  problems.list.push(...flags.problems.list);
  const configFile = flags.values["config"];
  const file = typeof configFile === "string" ? await readConfigFile(configFile, problems) : undefined;
  if (!problems.empty || flags.foreign) return undefined;
  const fileSettings: Settings = file && typeof configFile === "string" ? fromFile(file, dirname(configFile)) : { issuers: [] };
  return mergeSettings(fileSettings, fromFlags(flags.values), problems, Array.isArray(file?.oidc));
}

/** The generator's options from this command line; undefined (with problems) when it is not usable. */
export async function rbacOptions(argv: readonly string[], problems: Problems): Promise<ProxyRbacOptions | undefined> {
  const { own, proxy } = splitArgs(argv);
  const parsed = parseFlags(own, RBAC_FLAGS, HINT);
  problems.list.push(...parsed.problems.list);
  const settings = await proxySettings(proxy, problems);
  if (!settings || !problems.empty) return undefined;
  const saName = str(parsed.values, "service-account") ?? DEFAULT_SA.name;
  const users = list(parsed.values, "user");
  if (saName === "-" && users.length === 0) problems.add("--service-account", "'-' binds no service account, so give --user");
  return problems.empty ? {
    name: str(parsed.values, "name") ?? DEFAULT_RBAC_OPTIONS.name,
    extraUserHeaderKeys: Object.keys(settings.extraUserHeaders?.value ?? {}),
    clientIpExtra: settings.extraUserHeaderClientIP?.value === true,
    clientExtraKeys: list(parsed.values, "client-extra-key"),
    ...(saName === "-" ? {} : { serviceAccount: { namespace: str(parsed.values, "namespace") ?? DEFAULT_SA.namespace, name: saName } }),
    users,
  } : undefined;
}

/** Runs `kubeward rbac`; problems are printed one a line with exit code 2. */
export async function runRbac(argv: readonly string[], io: CliIo): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    io.stdout(rbacUsage());
    return EXIT.ok;
  }
  const problems = new Problems();
  const options = await rbacOptions(argv, problems);
  if (!options) {
    io.stderr(problems.list.map((p) => `kubeward rbac: ${formatProblem(p)}\n`).join(""));
    return EXIT.usage;
  }
  io.stdout(renderProxyRbac(options));
  return EXIT.ok;
}
