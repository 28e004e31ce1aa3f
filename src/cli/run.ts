/**
 * Dispatches `kubeward <command>`. Commands, the proxy's config loader
 * included, are loaded when chosen, so `--version`, `--help` and the kubectl
 * credential plugin (`login`) answer without loading the proxy.
 */
import { ConfigError } from "../config/errors.ts";
import { proxyUsage } from "../config/flag-table.ts";
import { VERSION } from "../version.ts";
import { EXIT, type CliIo } from "./io.ts";

const USAGE = `Usage: kubeward <command> [flags]

Commands:
  proxy       Run the authenticating proxy in front of kube-apiserver
  serve       Run the embedded OIDC issuer and the proxy together (zero-config on loopback)
  login       kubectl credential plugin: log in at an OIDC issuer, print an ExecCredential
  logout      Forget cached tokens and revoke the refresh token
  kubeconfig  Write a kubeconfig whose user runs 'kubeward login'
  rbac        Print the proxy's least-privilege ClusterRole and binding
  revoke      Revoke a user's, a group's or everyone's tokens (admin API)
  block       Block a user or group until lifted or for a while (admin API)
  revocations List revocations and blocks in force, or lift one (admin API)
  version     Print the version

Flags:
  --version  Print the version and exit
  --help     Print this help and exit

Run 'kubeward <command> --help' for a command's flags.
`;

/** Arguments before a `--` terminator, where flags are read. */
function flagsPart(args: readonly string[]): readonly string[] {
  const end = args.indexOf("--");
  return end === -1 ? args : args.slice(0, end);
}

/** Runs one command line; resolves with the process exit code. */
export async function run(args: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = args;
  if (flagsPart(args).includes("--version") || (command === "version" && rest.length === 0)) {
    io.stdout(`kubeward ${VERSION}\n`);
    return EXIT.ok;
  }
  if (command === "proxy") return proxy(rest, io);
  if (command === "serve") return (await import("./serve.ts")).runServe(rest, io);
  if (command === "login") return (await import("./login.ts")).runLogin(rest, io);
  if (command === "logout") return (await import("./logout.ts")).runLogout(rest, io);
  if (command === "kubeconfig") return (await import("./kubeconfig.ts")).runKubeconfig(rest, io);
  if (command === "rbac") return (await import("./rbac.ts")).runRbac(rest, io);
  if (command === "revoke") return (await import("./revoke.ts")).runRevoke(rest, io);
  if (command === "block") return (await import("./block.ts")).runBlock(rest, io);
  if (command === "revocations") return (await import("./revocations.ts")).runRevocations(rest, io);
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    (command === undefined ? io.stderr : io.stdout)(USAGE);
    return command === undefined ? EXIT.usage : EXIT.ok;
  }
  const what = command === "version" ? `${JSON.stringify(rest[0])}: unexpected argument` : command.startsWith("-") ? `${command}: unknown flag` : `unknown command ${JSON.stringify(command)}`;
  io.stderr(`kubeward: ${what}; see 'kubeward --help'\n`);
  return EXIT.usage;
}

/** `kubeward proxy`: help, or the config (every problem on its own line, exit 2), then the running proxy. */
async function proxy(argv: readonly string[], io: CliIo): Promise<number> {
  if (flagsPart(argv).includes("--help") || flagsPart(argv).includes("-h")) {
    io.stdout(proxyUsage());
    return EXIT.ok;
  }
  const { loadProxyConfig } = await import("../config/load.ts");
  let config;
  try {
    config = await loadProxyConfig(argv, io.env);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    io.stderr(e.lines().join("\n") + "\n");
    return EXIT.usage;
  }
  const { runProxy } = await import("./proxy.ts");
  return runProxy(config, io);
}
