/**
 * Raw settings from the config file and the flags, each value tagged with the
 * field or flag it came from, merged so that flags override the file.
 */
import { resolve } from "node:path";
import type { Problems } from "./errors.ts";
import { FLAGS } from "./flag-table.ts";
import type { FlagValue } from "./flags.ts";
import type { FileConfig, FileIssuer } from "./schema.ts";
import type { Setting } from "./values.ts";

type Tagged<T> = { readonly [K in keyof T]-?: Setting<NonNullable<T[K]>> | undefined };

/** One issuer's raw settings. */
export type IssuerSettings = Partial<Tagged<FileIssuer>>;

/** The top-level raw values: flags give strings where the file gives numbers. */
export interface TopValues {
  readonly kubeconfig: string;
  readonly context: string;
  readonly securePort: string | number;
  readonly bindAddress: string;
  readonly tlsCertFile: string;
  readonly tlsPrivateKeyFile: string;
  readonly metricsServingAddress: string;
  readonly readinessProbePort: string | number;
  readonly flushInterval: string;
  readonly extraUserHeaders: Readonly<Record<string, readonly string[]>>;
  readonly extraUserHeaderClientIP: boolean;
  readonly allowReservedIdentities: boolean;
  readonly shutdownGracePeriod: string;
  readonly maxRequestHeaderBytes: string | number;
  readonly logLevel: string;
}

/** Everything configured, before values are checked. */
export interface Settings extends Partial<Tagged<TopValues>> {
  readonly issuers: readonly IssuerSettings[];
}

function tag<T extends object>(obj: T, prefix: string): Partial<Tagged<T>> {
  const out: Record<string, Setting<unknown>> = {};
  for (const [k, v] of Object.entries(obj)) if (v !== undefined) out[k] = { value: v, path: prefix + k };
  return out as Partial<Tagged<T>>;
}

/** Fields naming files; in the config file they are relative to the file's directory, as in a kubeconfig. */
const FILE_FIELDS = new Set(["caFile", "kubeconfig", "tlsCertFile", "tlsPrivateKeyFile"]);

function withPaths<T extends object>(obj: T, baseDir: string): T {
  const entries = Object.entries(obj).map(([k, v]) => [k, FILE_FIELDS.has(k) && typeof v === "string" && v !== "" ? resolve(baseDir, v) : v]);
  return Object.fromEntries(entries) as T;
}

/** The file's values, tagged with their field paths; relative file names resolved against `baseDir`. */
export function fromFile(file: FileConfig, baseDir: string): Settings {
  const { oidc, extraUserHeaders, ...rest } = withPaths(file, baseDir);
  const list = (oidc === undefined ? [] : Array.isArray(oidc) ? oidc : [oidc as FileIssuer]).map((o) => withPaths(o, baseDir));
  const extras = extraUserHeaders && Object.fromEntries(Object.entries(extraUserHeaders).map(([k, v]) => [k, typeof v === "string" ? [v] : v]));
  return {
    ...tag(rest, ""),
    ...(extras ? { extraUserHeaders: { value: extras, path: "extraUserHeaders" } } : {}),
    issuers: list.map((issuer, i) => tag(issuer, Array.isArray(oidc) ? `oidc[${i}].` : "oidc.")),
  };
}

/** The flags' values, tagged with their flag names. */
export function fromFlags(values: Readonly<Record<string, FlagValue>>): { top: Partial<Tagged<TopValues>>; oidc: IssuerSettings } {
  const top: Record<string, Setting<FlagValue>> = {};
  const oidc: Record<string, Setting<FlagValue>> = {};
  for (const f of FLAGS) {
    const value = values[f.name];
    // An empty string flag is unset, as Go's zero value is.
    if (value === undefined || value === "" || f.key === undefined) continue;
    (f.group === "OIDC" ? oidc : top)[f.key] = { value, path: `--${f.name}` };
  }
  return { top: top as Partial<Tagged<TopValues>>, oidc: oidc as IssuerSettings };
}

/**
 * Flags override file values field by field. `--oidc-*` flags refine a
 * single file issuer; with a list of issuers they are refused, since it is
 * not clear which entry they would change.
 */
export function mergeSettings(file: Settings, flags: ReturnType<typeof fromFlags>, problems: Problems, fileHasList: boolean): Settings {
  const flagIssuer = Object.values(flags.oidc).filter((s) => s !== undefined);
  if (fileHasList) {
    for (const s of flagIssuer) problems.add(s.path, "cannot be combined with a list of issuers under oidc in the config file; set it in each entry");
  }
  const [fileIssuer] = file.issuers;
  const issuers = fileHasList ? file.issuers : flagIssuer.length > 0 || fileIssuer ? [{ ...fileIssuer, ...flags.oidc }] : [];
  return { ...file, ...flags.top, issuers };
}
