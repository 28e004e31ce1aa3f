/**
 * `loadProxyConfig`: flags plus an optional `--config` YAML file into one
 * checked, deeply frozen {@link ProxyConfig}, or a {@link ConfigError} that
 * lists every problem at once.
 */
import { dirname } from "node:path";
import { ConfigError, Problems } from "./errors.ts";
import { parseProxyFlags } from "./flags.ts";
import { resolveIssuers } from "./issuers.ts";
import { loadUpstream } from "./kubeconfig.ts";
import { resolveServing } from "./serving.ts";
import { fromFile, fromFlags, mergeSettings, type Settings } from "./settings.ts";
import type { ProxyConfig } from "./types.ts";
import { resolveRevocation } from "../revocation/config.ts";

/** Test seams; production uses the defaults. */
export interface LoadOptions {
  /** Where the in-cluster CA and token are read from. */
  readonly serviceAccountDir?: string;
}

/**
 * Parses argv (flags after the subcommand) plus an optional --config YAML
 * file into a frozen ProxyConfig. Throws ConfigError listing every problem,
 * each naming its flag or field.
 *
 * @example
 * ```ts
 * const config = await loadProxyConfig(["--oidc-issuer-url=https://idp.example", "--oidc-client-id=kubernetes",
 *   "--tls-cert-file=tls.crt", "--tls-private-key-file=tls.key", "--kubeconfig=proxy.kubeconfig"], process.env);
 * ```
 */
export async function loadProxyConfig(argv: readonly string[], env: NodeJS.ProcessEnv, options: LoadOptions = {}): Promise<ProxyConfig> {
  const problems = new Problems();
  const flags = parseProxyFlags(argv);
  problems.list.push(...flags.problems.list);
  const configFile = flags.values["config"];
  // The YAML parser and the schema validator (about 6 MB resident) load only when there is a file to read.
  const fileConfig = typeof configFile === "string" ? await (await import("./file.ts")).readConfigFile(configFile, problems) : undefined;
  if (flags.foreign || (configFile !== undefined && !fileConfig)) throw new ConfigError(problems.list);
  const fileSettings: Settings = fileConfig && typeof configFile === "string" ? fromFile(fileConfig, dirname(configFile)) : { issuers: [] };
  const isList = Array.isArray(fileConfig?.oidc);
  const settings = mergeSettings(fileSettings, fromFlags(flags.values), problems, isList);
  const fileInUse = fileConfig !== undefined;
  const oidc = await resolveIssuers(settings.issuers, isList, fileInUse, problems);
  const serving = await resolveServing(settings, fileInUse, problems);
  const upstream = await loadUpstream({ kubeconfig: settings.kubeconfig, context: settings.context, env, ...options }, problems);
  const revocation = fileConfig?.revocation && typeof configFile === "string" ? resolveRevocation(fileConfig.revocation, dirname(configFile), problems, true) : undefined;
  if (!problems.empty || !serving || !upstream) throw new ConfigError(problems.list);
  return deepFreeze({ oidc, upstream, ...serving, ...(revocation ? { revocation } : {}) });
}

/** Freezes an object graph of plain objects and arrays. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
