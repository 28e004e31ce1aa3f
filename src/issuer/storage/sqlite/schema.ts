/**
 * The SQLite schema and its migrations. `schema_version` records each applied
 * migration; a file written by a newer kubeward is refused, not guessed at.
 */
import type { DatabaseSync } from "node:sqlite";
import { KubewardError } from "../../../errors.ts";
import { inTransaction } from "./transaction.ts";

/** An entity table: the key, the record as JSON, and when gc may delete it (NULL: never). */
const entityTable = (name: string): string => `
  CREATE TABLE ${name} (
    key TEXT PRIMARY KEY NOT NULL,
    data TEXT NOT NULL,
    expires_at INTEGER
  ) STRICT;
  CREATE INDEX ${name}_expires_at ON ${name} (expires_at) WHERE expires_at IS NOT NULL;`;

const V1 = `
  CREATE TABLE protocol_object (
    model TEXT NOT NULL,
    id TEXT NOT NULL,
    payload TEXT NOT NULL,
    uid TEXT,
    user_code TEXT,
    grant_id TEXT,
    expires_at INTEGER,
    consumed_at INTEGER,
    PRIMARY KEY (model, id)
  ) STRICT;
  CREATE INDEX protocol_object_uid ON protocol_object (model, uid) WHERE uid IS NOT NULL;
  CREATE INDEX protocol_object_user_code ON protocol_object (model, user_code) WHERE user_code IS NOT NULL;
  CREATE INDEX protocol_object_grant_id ON protocol_object (model, grant_id) WHERE grant_id IS NOT NULL;
  CREATE INDEX protocol_object_expires_at ON protocol_object (expires_at) WHERE expires_at IS NOT NULL;
  ${["client", "password", "signing_key", "refresh_family", "revocation"].map(entityTable).join("\n")}`;

/**
 * A one-row counter every write to `revocation` bumps, in the writer's own
 * transaction, so a replica can learn whether the list changed without reading it.
 */
const V2 = `
  CREATE TABLE revocation_stamp (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    value INTEGER NOT NULL
  ) STRICT;
  INSERT INTO revocation_stamp (id, value) VALUES (1, 0);
  CREATE TRIGGER revocation_stamp_insert AFTER INSERT ON revocation
    BEGIN UPDATE revocation_stamp SET value = value + 1 WHERE id = 1; END;
  CREATE TRIGGER revocation_stamp_update AFTER UPDATE ON revocation
    BEGIN UPDATE revocation_stamp SET value = value + 1 WHERE id = 1; END;
  CREATE TRIGGER revocation_stamp_delete AFTER DELETE ON revocation
    BEGIN UPDATE revocation_stamp SET value = value + 1 WHERE id = 1; END;`;

/**
 * Migration `i` takes the schema from version `i` to `i + 1`. Each is frozen
 * text, never built from current code, so old files migrate the same way forever.
 */
const MIGRATIONS: readonly string[] = [V1, V2];

/** The schema version this build writes. */
const SCHEMA_VERSION = MIGRATIONS.length;

/** The version `db` is at; 0 for a new file. */
function schemaVersion(db: DatabaseSync): number {
  const row = db.prepare("SELECT max(version) AS version FROM schema_version").get();
  return typeof row?.version === "number" ? row.version : 0;
}

/** Brings `db` to {@link SCHEMA_VERSION}, in one transaction. */
export function migrate(db: DatabaseSync): void {
  inTransaction(db, () => {
    db.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY NOT NULL) STRICT");
    const current = schemaVersion(db);
    if (current > SCHEMA_VERSION) {
      throw new KubewardError(
        "storage_unavailable",
        `sqlite: schema version ${current} is newer than this kubeward's ${SCHEMA_VERSION}; run a newer kubeward`,
      );
    }
    const record = db.prepare("INSERT INTO schema_version (version) VALUES (?)");
    MIGRATIONS.slice(current).forEach((sql, i) => {
      db.exec(sql);
      record.run(current + i + 1);
    });
  });
}
