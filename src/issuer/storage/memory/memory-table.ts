/**
 * An entity table in memory. Records are kept as JSON text, so every value
 * that goes in or comes out is a copy, exactly as with a database.
 */
import { storageConflict, type Updater } from "../storage.ts";
import { applyUpdate, keyOf, type Table, type TableSpec } from "../tables.ts";

/** A {@link Table} held in a Map; each method runs without yielding, so updates are atomic. */
export class MemoryTable<T> implements Table<T> {
  readonly #spec: TableSpec<T>;
  readonly #rows = new Map<string, string>();
  readonly #onWrite: () => void;

  /** `onWrite` is called after every create, update or delete that changed a row, gc included. */
  constructor(spec: TableSpec<T>, onWrite: () => void = () => {}) {
    this.#spec = spec;
    this.#onWrite = onWrite;
  }

  async get(id: string): Promise<T | undefined> {
    const row = this.#rows.get(this.#spec.keyFor(id));
    return row === undefined ? undefined : (JSON.parse(row) as T);
  }

  async list(): Promise<T[]> {
    const rows = [...this.#rows].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return rows.map(([, row]) => JSON.parse(row) as T);
  }

  async create(value: T): Promise<void> {
    const key = keyOf(this.#spec, value);
    if (this.#rows.has(key)) {
      throw storageConflict(this.#spec.name, this.#spec.idOf(value));
    }
    this.#rows.set(key, JSON.stringify(value));
    this.#onWrite();
  }

  async update(id: string, update: Updater<T>): Promise<T | undefined> {
    const key = this.#spec.keyFor(id);
    const row = this.#rows.get(key);
    if (row === undefined) {
      return undefined;
    }
    const next = JSON.stringify(applyUpdate(this.#spec, key, JSON.parse(row) as T, update));
    this.#rows.set(key, next);
    this.#onWrite();
    return JSON.parse(next) as T;
  }

  async delete(id: string): Promise<boolean> {
    const deleted = this.#rows.delete(this.#spec.keyFor(id));
    if (deleted) {
      this.#onWrite();
    }
    return deleted;
  }

  async gc(now: number): Promise<number> {
    let deleted = 0;
    for (const [key, row] of this.#rows) {
      const expiresAt = this.#spec.expiresAt(JSON.parse(row) as T);
      if (expiresAt !== undefined && expiresAt <= now) {
        this.#rows.delete(key);
        deleted++;
      }
    }
    if (deleted > 0) {
      this.#onWrite();
    }
    return deleted;
  }
}
