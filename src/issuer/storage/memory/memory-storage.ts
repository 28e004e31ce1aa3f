/**
 * The in-memory backend: for tests and single-process trials. Everything is
 * lost when the process ends.
 */
import { composeStorage } from "../compose.ts";
import type { Storage, StorageDeps } from "../storage.ts";
import { TABLES } from "../tables.ts";
import { MemoryObjects } from "./memory-objects.ts";
import { MemoryTable } from "./memory-table.ts";

/** The memory backend takes no settings. */
export type MemoryStorageConfig = Readonly<Record<string, never>>;

/** Opens an empty in-memory {@link Storage}. */
export async function openMemoryStorage(_config: MemoryStorageConfig, deps: StorageDeps): Promise<Storage> {
  let revocationWrites = 0;
  const countRevocationWrite = (): void => {
    revocationWrites++;
  };
  return composeStorage({
    objects: new MemoryObjects(deps.clock),
    table: (spec) => new MemoryTable(spec, spec === TABLES.revocations ? countRevocationWrite : undefined),
    revocationStamp: async () => String(revocationWrites),
    close: async () => {},
  });
}
