/**
 * `kubeward kubeconfig`: writes or merges a kubeconfig whose user runs
 * `kubeward login`, or prints one with --print.
 */
import { realpathSync } from "node:fs";
import { ConfigError, formatProblem } from "../config/errors.ts";
import { parseFlags } from "../login/flag-parser.ts";
import { standaloneKubeconfig, writeKubeconfig } from "../login/kubeconfig-merge.ts";
import { KUBECONFIG_FLAGS, kubeconfigUsage, planKubeconfig, type SelfCommand } from "../login/kubeconfig-options.ts";
import { EXIT, type CliIo } from "./io.ts";

/** Runs `kubeward kubeconfig`; `self` is how the written exec entry starts kubeward again. */
export async function runKubeconfig(argv: readonly string[], io: CliIo, self: SelfCommand = runningKubeward()): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    io.stdout(kubeconfigUsage());
    return EXIT.ok;
  }
  const parsed = parseFlags(argv, KUBECONFIG_FLAGS, "see 'kubeward kubeconfig --help'");
  const plan = await planKubeconfig(parsed.values, io.env, self, parsed.problems);
  try {
    if (!parsed.problems.empty) throw new ConfigError(parsed.problems.list);
    if (plan.file === undefined) {
      io.stdout(standaloneKubeconfig(plan.entries));
      return EXIT.ok;
    }
    const written = await writeKubeconfig(plan.file, plan.entries);
    io.stderr(`kubeward kubeconfig: wrote context ${JSON.stringify(plan.entries.context.name)} to ${written}\n`);
    return EXIT.ok;
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    io.stderr(e.problems.map((p) => `kubeward kubeconfig: ${formatProblem(p)}\n`).join(""));
    return EXIT.usage;
  }
}

/**
 * This kubeward, by absolute paths: the runtime and the script it runs (a
 * single-file executable, whose script is itself, is the command alone).
 */
function runningKubeward(): SelfCommand {
  const script = process.argv[1];
  if (script === undefined || script === process.execPath) return { command: process.execPath, args: [] };
  return { command: process.execPath, args: [realpathSync(script)] };
}
