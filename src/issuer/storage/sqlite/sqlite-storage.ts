/**
 * The SQLite backend on Node's built-in node:sqlite: one owner-only file, one
 * connection, WAL journal with synchronous=FULL so a commit is on disk when it returns.
 */
import { chmodSync, closeSync, openSync } from "node:fs";
import { DatabaseSync } from "node:sqlite";
import { KubewardError } from "../../../errors.ts";
import { composeStorage } from "../compose.ts";
import type { Storage, StorageDeps } from "../storage.ts";
import { migrate } from "./schema.ts";
import { SqliteObjects } from "./sqlite-objects.ts";
import { SqliteTable } from "./sqlite-table.ts";

/** Settings of the SQLite backend. */
export interface SqliteStorageConfig {
  /** Path of the database file; created owner-only (0600) when missing. */
  readonly file: string;
}

/** How long a write waits for another process holding the lock before failing. */
const BUSY_TIMEOUT_MS = 5000;

/*
 * synchronous=FULL, not NORMAL: in WAL mode NORMAL already survives a killed
 * process (a commit is in the OS page cache), but a power cut or kernel crash
 * could drop the last commits, and a lost revocation or refresh-family
 * revocation would silently hand access back. The price is one fsync per
 * commit, taken on the event loop; writes come per login and refresh, not per
 * API request, so that is affordable.
 */
const PRAGMAS = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;";

function openDatabase(file: string): DatabaseSync {
  closeSync(openSync(file, "a", 0o600));
  chmodSync(file, 0o600);
  const db = new DatabaseSync(file, { timeout: BUSY_TIMEOUT_MS });
  try {
    db.exec(PRAGMAS);
    const mode = db.prepare("PRAGMA journal_mode").get()?.journal_mode;
    if (mode !== "wal") {
      throw new Error(`journal_mode is ${String(mode)}, not wal`);
    }
    migrate(db);
    return db;
  } catch (e) {
    db.close();
    throw e;
  }
}

/** Reads the counter the schema's triggers bump on every write to `revocation`. */
function revocationStamp(db: DatabaseSync): () => Promise<string> {
  const read = db.prepare("SELECT value FROM revocation_stamp WHERE id = 1");
  return async () => String(read.get()?.value);
}

/**
 * Opens (creating and migrating when needed) the SQLite {@link Storage} at `config.file`.
 *
 * @throws {@link KubewardError} `storage_unavailable` when the file cannot be
 * opened, is not a database, or has a schema newer than this build.
 * @example
 * const storage = await openSqliteStorage({ file: "/var/lib/kubeward/issuer.db" }, { clock: systemClock });
 */
export async function openSqliteStorage(config: SqliteStorageConfig, deps: StorageDeps): Promise<Storage> {
  let db: DatabaseSync;
  try {
    db = openDatabase(config.file);
  } catch (e) {
    if (e instanceof KubewardError) {
      throw e;
    }
    throw new KubewardError("storage_unavailable", `sqlite: ${config.file}: ${String(e)}`, { cause: e });
  }
  return composeStorage({
    objects: new SqliteObjects(db, deps.clock),
    table: (spec) => new SqliteTable(db, spec),
    revocationStamp: revocationStamp(db),
    close: async () => db.close(),
  });
}
