/**
 * oidc-provider's protocol objects in SQLite: one row per model and id, the
 * payload as JSON, and indexed columns for uid, userCode and grantId lookups.
 * Consuming, deleting and revoking resolve once on disk, so a rotated refresh
 * token cannot come back after a power cut. A new object, and the consumption
 * of an authorization code, resolve once committed: they survive a killed
 * process, but a power cut may lose the last ones (a lost token: its holder
 * signs in again; a lost code consumption: see {@link LAZY_CONSUMPTION}).
 */
import type { DatabaseSync, StatementSync } from "node:sqlite";
import type { Clock } from "../../../clock.ts";
import type { ModelName, ProtocolObject } from "../entities.ts";
import { indexedFields } from "../objects.ts";
import type { ProtocolStore } from "../storage.ts";
import type { WalSync } from "./wal-sync.ts";

const COLUMNS = "model, id, payload, expires_at, consumed_at";
const LIVE = "(expires_at IS NULL OR expires_at > ?)";
/** Of several live objects sharing a uid or userCode, the most recently stored. */
const NEWEST = "ORDER BY rowid DESC LIMIT 1";

function toObject(row: Record<string, unknown> | undefined): ProtocolObject | undefined {
  if (row === undefined) {
    return undefined;
  }
  const { model, id, payload, expires_at: expiresAt, consumed_at: consumedAt } = row;
  return {
    model: model as ModelName,
    id: id as string,
    payload: JSON.parse(payload as string) as Record<string, unknown>,
    ...(typeof expiresAt === "number" ? { expiresAt } : {}),
    ...(typeof consumedAt === "number" ? { consumedAt } : {}),
  };
}

/**
 * Models whose consumption need not wait for the disk. An authorization code
 * lives 60 s and needs its client's secret or PKCE verifier; losing its
 * consumption to a power cut lets it be exchanged once more only if the
 * machine is back within those 60 s. Waiting for an fsync on every exchange
 * cost more than that risk is worth; a refresh token's rotation still waits.
 */
const LAZY_CONSUMPTION: ReadonlySet<ModelName> = new Set(["AuthorizationCode"]);

/** Stored objects whose loss would let something be used twice: already consumed, or a replay record. */
function needsSync(object: ProtocolObject): boolean {
  return object.consumedAt !== undefined || object.model === "ReplayDetection";
}

/** A {@link ProtocolStore} backed by the `protocol_object` table. */
export class SqliteObjects implements ProtocolStore {
  readonly #clock: Clock;
  readonly #sync: WalSync;
  readonly #upsert: StatementSync;
  readonly #find: StatementSync;
  readonly #findByUid: StatementSync;
  readonly #findByUserCode: StatementSync;
  readonly #consume: StatementSync;
  readonly #destroy: StatementSync;
  readonly #revoke: StatementSync;
  readonly #gc: StatementSync;

  constructor(db: DatabaseSync, clock: Clock, sync: WalSync) {
    this.#clock = clock;
    this.#sync = sync;
    this.#upsert = db.prepare(
      `INSERT OR REPLACE INTO protocol_object (${COLUMNS}, uid, user_code, grant_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#find = db.prepare(`SELECT ${COLUMNS} FROM protocol_object WHERE model = ? AND id = ? AND ${LIVE}`);
    this.#findByUid = db.prepare(`SELECT ${COLUMNS} FROM protocol_object WHERE model = ? AND uid = ? AND ${LIVE} ${NEWEST}`);
    this.#findByUserCode = db.prepare(
      `SELECT ${COLUMNS} FROM protocol_object WHERE model = ? AND user_code = ? AND ${LIVE} ${NEWEST}`,
    );
    this.#consume = db.prepare(
      `UPDATE protocol_object SET consumed_at = ? WHERE model = ? AND id = ? AND consumed_at IS NULL AND ${LIVE}`,
    );
    this.#destroy = db.prepare("DELETE FROM protocol_object WHERE model = ? AND id = ?");
    this.#revoke = db.prepare("DELETE FROM protocol_object WHERE model = ? AND grant_id = ?");
    this.#gc = db.prepare("DELETE FROM protocol_object WHERE expires_at <= ?");
  }

  async upsertObject(object: ProtocolObject): Promise<void> {
    const { uid, userCode, grantId } = indexedFields(object);
    this.#upsert.run(
      object.model,
      object.id,
      JSON.stringify(object.payload),
      object.expiresAt ?? null,
      object.consumedAt ?? null,
      uid ?? null,
      userCode ?? null,
      grantId ?? null,
    );
    if (needsSync(object)) {
      await this.#sync.flush();
    } else {
      this.#sync.soon();
    }
  }

  async findObject(model: ModelName, id: string): Promise<ProtocolObject | undefined> {
    return toObject(this.#find.get(model, id, this.#clock.now()));
  }

  async findObjectByUid(model: ModelName, uid: string): Promise<ProtocolObject | undefined> {
    return toObject(this.#findByUid.get(model, uid, this.#clock.now()));
  }

  async findObjectByUserCode(model: ModelName, userCode: string): Promise<ProtocolObject | undefined> {
    return toObject(this.#findByUserCode.get(model, userCode, this.#clock.now()));
  }

  async consumeObject(model: ModelName, id: string): Promise<boolean> {
    const now = this.#clock.now();
    const { changes } = this.#consume.run(now, model, id, now);
    if (LAZY_CONSUMPTION.has(model)) {
      this.#sync.soon();
      return changes > 0;
    }
    return (await this.#synced(changes)) > 0;
  }

  async destroyObject(model: ModelName, id: string): Promise<boolean> {
    return (await this.#synced(this.#destroy.run(model, id).changes)) > 0;
  }

  async revokeByGrantId(model: ModelName, grantId: string): Promise<number> {
    return this.#synced(this.#revoke.run(model, grantId).changes);
  }

  /** Deletes the objects expired at `now`; returns how many. Expired objects are gone either way: no wait for the disk. */
  async gc(now: number): Promise<number> {
    const deleted = Number(this.#gc.run(now).changes);
    this.#sync.soon();
    return deleted;
  }

  /** Waits until a write that changed rows is on disk; returns the number changed. */
  async #synced(changes: number | bigint): Promise<number> {
    if (changes !== 0 && changes !== 0n) {
      await this.#sync.flush();
    }
    return Number(changes);
  }
}
