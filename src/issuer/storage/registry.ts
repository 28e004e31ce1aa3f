/**
 * The storage registry: backend type name to its config schema and opener,
 * so choosing a backend is a lookup, not a switch.
 */
import { openMemoryStorage, type MemoryStorageConfig } from "./memory/memory-storage.ts";
import { openSqliteStorage, type SqliteStorageConfig } from "./sqlite/sqlite-storage.ts";
import type { Storage, StorageDeps } from "./storage.ts";

/** One backend: the JSON Schema its `config` must pass, and how to open it. */
export interface StorageBackend<C> {
  /** Strict JSON Schema (unknown fields rejected) the config layer validates with. */
  readonly schema: Readonly<Record<string, unknown>>;
  open(config: C, deps: StorageDeps): Promise<Storage>;
}

/** Every backend kubeward can run on, by type name. */
export const STORAGE_BACKENDS = {
  memory: {
    schema: { type: "object", additionalProperties: false, properties: {} },
    open: openMemoryStorage,
  } satisfies StorageBackend<MemoryStorageConfig>,
  sqlite: {
    schema: {
      type: "object",
      additionalProperties: false,
      required: ["file"],
      properties: { file: { type: "string", minLength: 1 } },
    },
    open: openSqliteStorage,
  } satisfies StorageBackend<SqliteStorageConfig>,
} as const;

/** The storage section of the configuration, as the config layer produces it. */
export type StorageConfig =
  | { readonly type: "memory"; readonly config: MemoryStorageConfig }
  | { readonly type: "sqlite"; readonly config: SqliteStorageConfig };

/**
 * Opens the backend `config.type` names.
 *
 * @example
 * const storage = await openStorage({ type: "sqlite", config: { file: "issuer.db" } }, { clock: systemClock });
 */
export function openStorage(config: StorageConfig, deps: StorageDeps): Promise<Storage> {
  const backend: StorageBackend<StorageConfig["config"]> = STORAGE_BACKENDS[config.type];
  return backend.open(config.config, deps);
}
