/**
 * An entity table in SQLite: the record as JSON under its key, plus the
 * expiry column garbage collection deletes by. Statements are prepared once.
 */
import type { DatabaseSync, StatementSync } from "node:sqlite";
import { storageConflict, type Updater } from "../storage.ts";
import { applyUpdate, keyOf, type Table, type TableSpec } from "../tables.ts";
import { inTransaction } from "./transaction.ts";

function parse<T>(row: Record<string, unknown> | undefined): T | undefined {
  return typeof row?.data === "string" ? (JSON.parse(row.data) as T) : undefined;
}

/** A {@link Table} backed by one SQLite table created by the schema. */
export class SqliteTable<T> implements Table<T> {
  readonly #db: DatabaseSync;
  readonly #spec: TableSpec<T>;
  readonly #get: StatementSync;
  readonly #list: StatementSync;
  readonly #insert: StatementSync;
  readonly #replace: StatementSync;
  readonly #delete: StatementSync;
  readonly #gc: StatementSync;

  constructor(db: DatabaseSync, spec: TableSpec<T>) {
    const t = spec.name;
    this.#db = db;
    this.#spec = spec;
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
  }

  async update(id: string, update: Updater<T>): Promise<T | undefined> {
    const key = this.#spec.keyFor(id);
    return inTransaction(this.#db, () => {
      const current = parse<T>(this.#get.get(key));
      if (current === undefined) {
        return undefined;
      }
      const next = applyUpdate(this.#spec, key, current, update);
      const data = JSON.stringify(next);
      this.#replace.run(data, this.#expiry(next), key);
      return JSON.parse(data) as T;
    });
  }

  async delete(id: string): Promise<boolean> {
    return this.#delete.run(this.#spec.keyFor(id)).changes > 0;
  }

  async gc(now: number): Promise<number> {
    return Number(this.#gc.run(now).changes);
  }

  #expiry(value: T): number | null {
    return this.#spec.expiresAt(value) ?? null;
  }
}
