/**
 * Write transactions for the SQLite backend. BEGIN IMMEDIATE takes the write
 * lock up front, so a read-modify-write cannot interleave with another process.
 */
import type { DatabaseSync } from "node:sqlite";

/** Runs `work` in one write transaction, rolled back if it throws. */
export function inTransaction<T>(db: DatabaseSync, work: () => T): T {
  db.exec("BEGIN IMMEDIATE");
  try {
    const result = work();
    db.exec("COMMIT");
    return result;
  } catch (e) {
    db.exec("ROLLBACK");
    throw e;
  }
}
