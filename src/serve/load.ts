/**
 * `loadServeConfig`: the `kubeward serve` flags and its optional config file
 * into one checked, frozen {@link ServeConfig}, or a ConfigError listing
 * every problem with its path. No file means the zero-config defaults.
 */
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { ConfigError, Problems } from "../config/errors.ts";
import { deepFreeze } from "../config/load.ts";
import { fromFile, type Settings } from "../config/settings.ts";
import type { Setting } from "../config/values.ts";
import { schemaProblems } from "../issuer/connectors/config-problems.ts";
import type { ConnectorConfig } from "../issuer/connectors/registry.ts";
import { STORAGE_BACKENDS, type StorageConfig } from "../issuer/storage/registry.ts";
import { parseFlags, str, type FlagDef } from "../login/flag-parser.ts";
import { LOGIN_CLIENT, resolveClients } from "./clients.ts";
import { LOCAL_CONNECTOR, checkConnectors } from "./connectors.ts";
import { readServeFile } from "./file.ts";
import { issuerListen, issuerSettings, issuerTls, issuerUrl } from "./issuer-section.ts";
import type { ServeFile } from "./schema.ts";
import type { InitialAdmin, ServeConfig } from "./types.ts";

/** Every `kubeward serve` flag. */
export const SERVE_FLAGS: readonly FlagDef[] = [
  { name: "config", type: "string", arg: "FILE", help: "YAML file configuring the issuer and the proxy (zero-config defaults when unset)." },
  { name: "state-dir", type: "string", arg: "DIR", shown: "$XDG_STATE_HOME/kubeward or ~/.local/state/kubeward", help: "Where keys, certificates and the database are kept (overrides stateDir)." },
  { name: "help", type: "boolean", help: "Print this help and exit." },
];

/** The admin a zero-config run creates on its first start. */
export const DEFAULT_ADMIN: InitialAdmin = { email: "admin@kubeward.local", username: "admin", groups: ["kubeward-admins"] };

/** `~/…` is the home directory; anything else is relative to `base`. */
function expand(path: string, base: string, env: NodeJS.ProcessEnv): string {
  if (path === "~" || path.startsWith("~/")) return join(env["HOME"] ?? homedir(), path.slice(1));
  return resolve(base, path);
}

/** The default state directory: `$XDG_STATE_HOME/kubeward`, else `~/.local/state/kubeward`. */
export function defaultStateDir(env: NodeJS.ProcessEnv): string {
  const xdg = env["XDG_STATE_HOME"];
  return xdg ? join(xdg, "kubeward") : join(env["HOME"] ?? homedir(), ".local", "state", "kubeward");
}

/** Puts `prefix` before every field path of the proxy section's settings. */
function prefixed(settings: Settings, prefix: string): Settings {
  const shift = (obj: object) => Object.fromEntries(Object.entries(obj).map(([k, s]) => [k, { ...(s as Setting<unknown>), path: prefix + (s as Setting<unknown>).path }]));
  const { issuers, ...top } = settings;
  return { ...shift(top), issuers: issuers.map(shift) } as Settings;
}

function storageOf(file: ServeFile, stateDir: string, base: string, problems: Problems): StorageConfig {
  const s = file.storage;
  if (s === undefined) return { type: "sqlite", config: { file: join(stateDir, "issuer.db") } };
  const config = s.config ?? (s.type === "sqlite" ? { file: join(stateDir, "issuer.db") } : {});
  for (const p of schemaProblems(STORAGE_BACKENDS[s.type].schema, config, "storage.config")) problems.add(p.path, p.message);
  if (s.type === "memory") return { type: "memory", config: {} };
  return { type: "sqlite", config: { file: resolve(base, String((config as { file?: unknown }).file ?? "")) } };
}

function adminOf(file: ServeFile, connectors: readonly ConnectorConfig[], problems: Problems): InitialAdmin | undefined {
  const admin = file.initialAdmin ?? (file.connectors === undefined ? DEFAULT_ADMIN : undefined);
  if (admin === undefined) return undefined;
  if (!connectors.some((c) => c.type === "local")) problems.add("initialAdmin", "needs a connector of type local to log in with");
  return { email: admin.email, username: admin.username ?? admin.email.split("@")[0] ?? admin.email, groups: [...(admin.groups ?? [])] };
}

/** Resolves a checked file (or `{}` on a zero-config run) into a ServeConfig; problems recorded. */
export async function resolveServeFile(file: ServeFile, where: { base: string; stateDir: string | undefined }, env: NodeJS.ProcessEnv, problems: Problems): Promise<ServeConfig> {
  const path = (p: string) => expand(p, where.base, env);
  const stateDir = where.stateDir ?? (file.stateDir !== undefined ? path(file.stateDir) : defaultStateDir(env));
  const issuer = issuerSettings(file.issuer ?? {}, problems);
  const url = issuerUrl(file.issuer ?? {}, problems);
  const { tls, caFile } = issuerTls(file, path, problems);
  const connectors = file.connectors === undefined ? [LOCAL_CONNECTOR] : checkConnectors(file.connectors, issuer.allowMockConnector === true, problems);
  if (issuer.passwordConnector !== undefined && !connectors.some((c) => c.id === issuer.passwordConnector)) {
    problems.add("issuer.passwordConnector", `names no connector (the ids are ${connectors.map((c) => c.id).join(", ") || "none"})`);
  }
  const clients = await resolveClients(file.clients ?? [LOGIN_CLIENT], issuer.passwordConnector, env, path, problems);
  if (clients.length === 0) problems.add("clients", "must list at least 1 (the proxy accepts ID tokens for the first)");
  const proxyFile = file.proxy ?? {};
  const initialAdmin = adminOf(file, connectors, problems);
  return {
    stateDir, issuerUrl: url, issuer, issuerListen: issuerListen(file, url, problems),
    ...(tls ? { issuerTls: tls } : {}), ...(caFile !== undefined ? { issuerCaFile: caFile } : {}),
    ...(initialAdmin ? { initialAdmin } : {}),
    connectors, clients, storage: storageOf(file, stateDir, where.base, problems),
    proxy: prefixed(fromFile(proxyFile, where.base), "proxy."),
    upstreamChosen: proxyFile.kubeconfig !== undefined || proxyFile.context !== undefined,
    ...(proxyFile.revocation ? { revocation: { section: proxyFile.revocation, baseDir: where.base } } : {}),
  };
}

/**
 * Parses the flags after `kubeward serve` and the `--config` file.
 *
 * @throws {@link ConfigError} listing every problem, each naming its field (`connectors[0].config.staticPasswords[0].hash: …`).
 * @example
 * const config = await loadServeConfig(["--config", "kubeward.yaml"], process.env);
 */
export async function loadServeConfig(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<ServeConfig> {
  const { values, problems } = parseFlags(argv, SERVE_FLAGS, "see 'kubeward serve --help'");
  const configFile = str(values, "config");
  const stateFlag = str(values, "state-dir");
  const file = configFile === undefined ? {} : await readServeFile(configFile, problems);
  if (!problems.empty || file === undefined) throw new ConfigError(problems.list);
  const base = configFile === undefined ? process.cwd() : dirname(resolve(configFile));
  const stateDir = stateFlag === undefined ? undefined : expand(stateFlag, process.cwd(), env);
  const config = await resolveServeFile(file, { base, stateDir }, env, problems);
  if (!problems.empty) throw new ConfigError(problems.list);
  return deepFreeze(config);
}
