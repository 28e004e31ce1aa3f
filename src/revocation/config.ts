/**
 * Resolves the `revocation` section of the proxy's config file: defaults,
 * durations, file names relative to the config file, every problem named by
 * its path.
 */
import { isAbsolute, join } from "node:path";
import type { Problems } from "../config/errors.ts";
import type { FileRevocation } from "../config/schema.ts";
import type { AdminConfig, RevocationConfig } from "../config/types.ts";
import { parseDuration, parseIpAddress, parsePort } from "../config/values.ts";
import { DEFAULT_MAX_TOKEN_AGE_MS } from "./service.ts";

/** The defaults, as docs/revocation.md states them. */
export const REVOCATION_DEFAULTS = { lockingMode: "bestEffort", staleAfter: "15s", pollInterval: "1s", maxTokenAge: "24h" } as const;

const PATH = "revocation";

/**
 * The resolved section, or undefined with problems recorded. `needsFile`:
 * `kubeward proxy` must be told where the shared storage is.
 */
export function resolveRevocation(file: FileRevocation, baseDir: string, problems: Problems, needsFile: boolean): RevocationConfig | undefined {
  const before = problems.list.length;
  if (needsFile && file.sqliteFile === undefined) problems.add(`${PATH}.sqliteFile`, "required: the SQLite file revocations are shared through");
  const duration = (field: "staleAfter" | "pollInterval" | "maxTokenAge") =>
    parseDuration({ value: file[field] ?? REVOCATION_DEFAULTS[field], path: `${PATH}.${field}` }, problems);
  const staleAfterMs = duration("staleAfter");
  const pollIntervalMs = duration("pollInterval");
  const maxTokenAgeMs = duration("maxTokenAge") ?? DEFAULT_MAX_TOKEN_AGE_MS;
  if (pollIntervalMs !== undefined && (pollIntervalMs < 100 || pollIntervalMs > 5_000)) problems.add(`${PATH}.pollInterval`, "must be between 100ms and 5s, so replicas learn of a revocation within 5 s");
  if (staleAfterMs !== undefined && pollIntervalMs !== undefined && staleAfterMs <= pollIntervalMs) problems.add(`${PATH}.staleAfter`, "must be longer than pollInterval");
  const admin = file.admin === undefined ? undefined : resolveAdmin(file.admin, baseDir, problems);
  if (problems.list.length > before || staleAfterMs === undefined || pollIntervalMs === undefined) return undefined;
  return {
    ...(file.sqliteFile === undefined ? {} : { sqliteFile: relative(baseDir, file.sqliteFile) }),
    lockingMode: file.lockingMode ?? REVOCATION_DEFAULTS.lockingMode, staleAfterMs, pollIntervalMs, maxTokenAgeMs,
    ...(admin === undefined ? {} : { admin }),
  };
}

function resolveAdmin(a: NonNullable<FileRevocation["admin"]>, baseDir: string, problems: Problems): AdminConfig | undefined {
  const host = parseIpAddress({ value: a.bindAddress, path: `${PATH}.admin.bindAddress` }, problems);
  const port = parsePort({ value: a.securePort, path: `${PATH}.admin.securePort` }, problems);
  if (a.clientCAFile === undefined && a.adminGroup === undefined) {
    problems.add(`${PATH}.admin`, "needs clientCAFile (mutual TLS) or adminGroup (admin tokens), or both");
  }
  if (host === undefined || port === undefined) return undefined;
  return {
    listen: { host, port }, tlsCertFile: relative(baseDir, a.tlsCertFile), tlsPrivateKeyFile: relative(baseDir, a.tlsPrivateKeyFile),
    ...(a.clientCAFile === undefined ? {} : { clientCaFile: relative(baseDir, a.clientCAFile) }),
    ...(a.adminGroup === undefined ? {} : { adminGroup: a.adminGroup }),
  };
}

function relative(baseDir: string, file: string): string {
  return isAbsolute(file) ? file : join(baseDir, file);
}
