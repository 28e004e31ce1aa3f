/**
 * The SQLite backend on Node's built-in node:sqlite: one owner-only file, one
 * connection, WAL journal with synchronous=NORMAL and group commit (wal-sync.ts)
 * for the writes that must be on disk before they are answered.
 */
import { chmodSync, closeSync, openSync } from "node:fs";
import { DatabaseSync } from "node:sqlite";
import { KubewardError } from "../../../errors.ts";
import { composeStorage } from "../compose.ts";
import type { Storage, StorageDeps } from "../storage.ts";
import { migrate } from "./schema.ts";
import { SqliteObjects } from "./sqlite-objects.ts";
import { SqliteTable } from "./sqlite-table.ts";
import { openWalSync, type Fsync, type WalSync } from "./wal-sync.ts";

/** Settings of the SQLite backend. */
export interface SqliteStorageConfig {
  /** Path of the database file; created owner-only (0600) when missing. */
  readonly file: string;
}

/** How long a write waits for another process holding the lock before failing. */
const BUSY_TIMEOUT_MS = 5000;

/*
 * synchronous=NORMAL: in WAL mode a commit is in the OS page cache when it
 * returns, so it survives a killed process, but a power cut or kernel crash
 * could drop the last commits. FULL closed that with one fsync per commit, on
 * the event loop (node:sqlite is synchronous), which stalled every request for
 * a few milliseconds per write, and for hundreds under disk contention. Now a
 * write whose loss would hand access back (keys, clients, passwords,
 * revocations, a revoked family, a consumed code or refresh token, any delete)
 * waits for an fsync of the WAL taken on libuv's thread pool and shared by
 * every commit before it; new tokens, sessions and grants do not wait.
 */
const PRAGMAS = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;";

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

/** The database at `file` and the group commit of its WAL, migrated and ready. */
async function openFile(file: string, fsync: Fsync | undefined): Promise<{ db: DatabaseSync; sync: WalSync }> {
  const db = openDatabase(file);
  try {
    return { db, sync: await openWalSync(`${file}-wal`, fsync) };
  } catch (e) {
    db.close();
    throw e;
  }
}

/**
 * Opens (creating and migrating when needed) the SQLite {@link Storage} at
 * `config.file`. `fsync` replaces the WAL's fdatasync, for tests only.
 *
 * @throws {@link KubewardError} `storage_unavailable` when the file cannot be
 * opened, is not a database, or has a schema newer than this build.
 * @example
 * const storage = await openSqliteStorage({ file: "/var/lib/kubeward/issuer.db" }, { clock: systemClock });
 */
export async function openSqliteStorage(config: SqliteStorageConfig, deps: StorageDeps, fsync?: Fsync): Promise<Storage> {
  let opened: { db: DatabaseSync; sync: WalSync };
  try {
    opened = await openFile(config.file, fsync);
  } catch (e) {
    if (e instanceof KubewardError) {
      throw e;
    }
    throw new KubewardError("storage_unavailable", `sqlite: ${config.file}: ${String(e)}`, { cause: e });
  }
  const { db, sync } = opened;
  return composeStorage({
    objects: new SqliteObjects(db, deps.clock, sync),
    table: (spec) => new SqliteTable(db, spec, sync),
    revocationStamp: revocationStamp(db),
    close: async () => {
      await sync.close();
      db.close();
    },
  });
}
