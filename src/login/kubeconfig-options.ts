/**
 * The `kubeward kubeconfig` flags and the entries they make: a cluster at the
 * proxy, a user whose exec runs `kubeward login` with the login flags given
 * here, and a context joining them.
 */
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import type { Problems } from "../config/errors.ts";
import { parseHttpsUrl } from "../config/values.ts";
import { EXEC_API_VERSIONS } from "./exec-credential.ts";
import { bool, flagLines, str, type FlagDef, type FlagValues } from "./flag-parser.ts";
import type { KubeconfigEntries } from "./kubeconfig-merge.ts";
import { LOGIN_FLAGS, readLoginOptions } from "./login-options.ts";

/** The login flags `kubeward kubeconfig` passes on to `kubeward login`, as given. */
const PASSED_ON = [
  "oidc-issuer-url", "oidc-client-id", "oidc-client-secret", "oidc-extra-scope", "grant-type", "listen-address",
  "oidc-redirect-url-hostname", "oidc-auth-request-extra-params", "skip-open-browser", "browser-command", "username", "token-cache-dir", "authentication-timeout",
] as const;

/** Every `kubeward kubeconfig` flag. */
export const KUBECONFIG_FLAGS: readonly FlagDef[] = [
  { name: "server", type: "string", arg: "URL", help: "The kubeward proxy's https URL (required)." },
  { name: "certificate-authority", type: "string", arg: "FILE", help: "PEM CA of the proxy's serving certificate, embedded as certificate-authority-data." },
  { name: "kubeconfig", type: "string", arg: "FILE", shown: "$KUBECONFIG or ~/.kube/config", help: "The kubeconfig to write or merge into." },
  { name: "print", type: "boolean", help: "Print a kubeconfig with only these entries instead of writing one." },
  { name: "context-name", type: "string", arg: "NAME", shown: "kubeward", help: "Name of the context (and, unless set, of the cluster and user)." },
  { name: "cluster-name", type: "string", arg: "NAME", help: "Name of the cluster entry." },
  { name: "user-name", type: "string", arg: "NAME", help: "Name of the user entry." },
  { name: "set-current", type: "boolean", help: "Make the context the current one." },
  { name: "exec-command", type: "string", arg: "PATH", help: "The kubeward the user entry runs (default: this one, by absolute path)." },
  { name: "oidc-ca-file", type: "string", arg: "FILE", help: "PEM CA of the issuer, passed to login as --certificate-authority-data." },
  ...LOGIN_FLAGS.filter((f) => (PASSED_ON as readonly string[]).includes(f.name)),
];

/** How the user entry starts kubeward: a command and the arguments before `login`. */
export interface SelfCommand {
  readonly command: string;
  readonly args: readonly string[];
}

/** What `kubeward kubeconfig` will do. */
export interface KubeconfigPlan {
  readonly entries: KubeconfigEntries;
  /** undefined with --print. */
  readonly file: string | undefined;
}

/** The kubeconfig kubectl would use first: the first file of $KUBECONFIG, else ~/.kube/config. */
export function defaultKubeconfig(env: NodeJS.ProcessEnv): string {
  const first = (env["KUBECONFIG"] ?? "").split(delimiter).find((p) => p !== "");
  return first ?? join(env["HOME"] ?? homedir(), ".kube", "config");
}

/** Checks the flags (each bad one a problem naming it) and builds the entries. */
export async function planKubeconfig(values: FlagValues, env: NodeJS.ProcessEnv, self: SelfCommand, problems: Problems): Promise<KubeconfigPlan> {
  const server = str(values, "server");
  if (server === undefined) problems.add("--server", "is required");
  else parseHttpsUrl({ value: server, path: "--server" }, problems);
  readLoginOptions(values, env, problems);
  const clusterCa = await readPem(str(values, "certificate-authority"), "--certificate-authority", problems);
  const issuerCa = await readPem(str(values, "oidc-ca-file"), "--oidc-ca-file", problems);
  const contextName = str(values, "context-name") ?? "kubeward";
  const exec = str(values, "exec-command");
  const loginArgs = [...passedOn(values), ...(issuerCa === undefined ? [] : [`--certificate-authority-data=${issuerCa}`])];
  const entries: KubeconfigEntries = {
    cluster: { name: str(values, "cluster-name") ?? contextName, cluster: { server: server ?? "", ...(clusterCa === undefined ? {} : { "certificate-authority-data": clusterCa }) } },
    user: {
      name: str(values, "user-name") ?? contextName,
      user: {
        exec: {
          apiVersion: EXEC_API_VERSIONS[0],
          command: exec === undefined ? self.command : resolveCommand(exec),
          args: [...(exec === undefined ? self.args : []), "login", ...loginArgs],
          interactiveMode: "IfAvailable",
          provideClusterInfo: false,
        },
      },
    },
    context: { name: contextName, context: { cluster: str(values, "cluster-name") ?? contextName, user: str(values, "user-name") ?? contextName } },
    setCurrent: bool(values, "set-current"),
  };
  return { entries, file: bool(values, "print") ? undefined : resolve(str(values, "kubeconfig") ?? defaultKubeconfig(env)) };
}

/** The given login flags as `--name=value` arguments, in the table's order. */
function passedOn(values: FlagValues): string[] {
  return PASSED_ON.flatMap((name) => {
    const v = values[name];
    if (v === undefined) return [];
    if (typeof v === "boolean") return v ? [`--${name}`] : [];
    return (typeof v === "string" ? [v] : v).map((item) => `--${name}=${item}`);
  });
}

/** A bare command name (found on PATH) is kept; a path is made absolute. */
function resolveCommand(command: string): string {
  return command.includes("/") ? resolve(command) : command;
}

/** Reads a PEM file as base64; a problem naming `flag` when it cannot be read or holds no certificate. */
async function readPem(file: string | undefined, flag: string, problems: Problems): Promise<string | undefined> {
  if (file === undefined) return undefined;
  const text = await readFile(file, "utf8").catch((e: NodeJS.ErrnoException) => {
    problems.add(flag, `cannot read ${file} (${e.code ?? "error"})`);
    return undefined;
  });
  if (text === undefined) return undefined;
  if (!text.includes("-----BEGIN CERTIFICATE-----")) problems.add(flag, `${file} holds no PEM certificate`);
  return Buffer.from(text).toString("base64");
}

/** The `kubeward kubeconfig --help` text. */
export function kubeconfigUsage(): string {
  return [
    "Usage: kubeward kubeconfig [flags]",
    "",
    "Writes (or merges into an existing file, keeping its other entries) a cluster at the",
    "kubeward proxy, a user that runs 'kubeward login' as a kubectl credential plugin, and a",
    "context joining them. The login flags below are passed on to 'kubeward login'.",
    "",
    "Flags:",
    ...flagLines(KUBECONFIG_FLAGS),
    "",
  ].join("\n");
}
