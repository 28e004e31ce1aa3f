/**
 * An entity table in SQLite: the record as JSON under its key, plus the
 * expiry column garbage collection deletes by. Statements are prepared once.
 */
import type { DatabaseSync, StatementSync } from "node:sqlite";
import { storageConflict, type Updater } from "../storage.ts";
import { applyUpdate, keyOf, type Table, type TableSpec } from "../tables.ts";
import { inTransaction } from "./transaction.ts";
import type { WalSync } from "./wal-sync.ts";

function parse<T>(row: Record<string, unknown> | undefined): T | undefined {
  return typeof row?.data === "string" ? (JSON.parse(row.data) as T) : undefined;
}

/**
 * A {@link Table} backed by one SQLite table created by the schema. A write
 * resolves once on disk when the spec's `needsSync` says so, else once committed.
 */
export class SqliteTable<T> implements Table<T> {
  readonly #db: DatabaseSync;
  readonly #spec: TableSpec<T>;
  readonly #sync: WalSync;
  readonly #get: StatementSync;
  readonly #list: StatementSync;
  readonly #insert: StatementSync;
  readonly #replace: StatementSync;
  readonly #delete: StatementSync;
  readonly #gc: StatementSync;

  constructor(db: DatabaseSync, spec: TableSpec<T>, sync: WalSync) {
    const t = spec.name;
    this.#db = db;
    this.#spec = spec;
    this.#sync = sync;
    this.#get = db.prepare(`SELECT data FROM ${t} WHERE key = ?`);
    this.#list = db.prepare(`SELECT data FROM ${t} ORDER BY key`);
    this.#insert = db.prepare(`INSERT INTO ${t} (key, data, expires_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`);
    this.#replace = db.prepare(`UPDATE ${t} SET data = ?, expires_at = ? WHERE key = ?`);
    this.#delete = db.prepare(`DELETE FROM ${t} WHERE key = ?`);
    this.#gc = db.prepare(`DELETE FROM ${t} WHERE expires_at <= ?`);
  }

  async get(id: string): Promise<T | undefined> {
    return parse<T>(this.#get.get(this.#spec.keyFor(id)));
  }

  async list(): Promise<T[]> {
    return this.#list.all().map((row) => parse<T>(row) as T);
  }

  async create(value: T): Promise<void> {
    const { changes } = this.#insert.run(keyOf(this.#spec, value), JSON.stringify(value), this.#expiry(value));
    if (changes === 0) {
      throw storageConflict(this.#spec.name, this.#spec.idOf(value));
    }
    await this.#synced(value);
  }

  async update(id: string, update: Updater<T>): Promise<T | undefined> {
    const key = this.#spec.keyFor(id);
    const updated = inTransaction(this.#db, () => {
      const current = parse<T>(this.#get.get(key));
      if (current === undefined) {
        return undefined;
      }
      const next = applyUpdate(this.#spec, key, current, update);
      const data = JSON.stringify(next);
      this.#replace.run(data, this.#expiry(next), key);
      return JSON.parse(data) as T;
    });
    if (updated !== undefined) {
      await this.#synced(updated);
    }
    return updated;
  }

  async delete(id: string): Promise<boolean> {
    const deleted = this.#delete.run(this.#spec.keyFor(id)).changes > 0;
    if (deleted) {
      await this.#sync.flush();
    }
    return deleted;
  }

  /** Expired records are gone for good either way, so their deletion need not wait for the disk. */
  async gc(now: number): Promise<number> {
    const deleted = Number(this.#gc.run(now).changes);
    this.#sync.soon();
    return deleted;
  }

  async #synced(value: T): Promise<void> {
    if (this.#spec.needsSync(value)) {
      await this.#sync.flush();
    } else {
      this.#sync.soon();
    }
  }

  #expiry(value: T): number | null {
    return this.#spec.expiresAt(value) ?? null;
  }
}
