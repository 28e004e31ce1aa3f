/**
 * oidc-provider's protocol objects in memory, stored as JSON text, with
 * secondary indexes for uid, userCode and grantId lookups.
 */
import type { Clock } from "../../../clock.ts";
import type { ModelName, ProtocolObject } from "../entities.ts";
import { indexedFields, isLive } from "../objects.ts";
import type { ProtocolStore } from "../storage.ts";

type IndexName = "uid" | "userCode" | "grantId";

const rowKey = (model: ModelName, id: string): string => `${model}\u0000${id}`;
const indexKey = (index: IndexName, model: ModelName, value: string): string =>
  `${index}\u0000${model}\u0000${value}`;

function indexKeysOf(object: ProtocolObject): string[] {
  return Object.entries(indexedFields(object)).map(([index, value]) =>
    indexKey(index as IndexName, object.model, value as string),
  );
}

/** A {@link ProtocolStore} held in Maps; no method yields before it is done. */
export class MemoryObjects implements ProtocolStore {
  readonly #clock: Clock;
  readonly #rows = new Map<string, string>();
  readonly #index = new Map<string, Set<string>>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  async upsertObject(object: ProtocolObject): Promise<void> {
    const key = rowKey(object.model, object.id);
    this.#remove(key);
    this.#rows.set(key, JSON.stringify(object));
    for (const index of indexKeysOf(object)) {
      const keys = this.#index.get(index) ?? new Set<string>();
      this.#index.set(index, keys.add(key));
    }
  }

  async findObject(model: ModelName, id: string): Promise<ProtocolObject | undefined> {
    return this.#live(rowKey(model, id));
  }

  async findObjectByUid(model: ModelName, uid: string): Promise<ProtocolObject | undefined> {
    return this.#findBy(indexKey("uid", model, uid));
  }

  async findObjectByUserCode(model: ModelName, userCode: string): Promise<ProtocolObject | undefined> {
    return this.#findBy(indexKey("userCode", model, userCode));
  }

  async consumeObject(model: ModelName, id: string): Promise<boolean> {
    const key = rowKey(model, id);
    const object = this.#live(key);
    if (object === undefined || object.consumedAt !== undefined) {
      return false;
    }
    this.#rows.set(key, JSON.stringify({ ...object, consumedAt: this.#clock.now() }));
    return true;
  }

  async destroyObject(model: ModelName, id: string): Promise<boolean> {
    return this.#remove(rowKey(model, id));
  }

  async revokeByGrantId(model: ModelName, grantId: string): Promise<number> {
    const keys = [...(this.#index.get(indexKey("grantId", model, grantId)) ?? [])];
    return keys.filter((key) => this.#remove(key)).length;
  }

  /** Deletes the objects expired at `now`; returns how many. */
  async gc(now: number): Promise<number> {
    let deleted = 0;
    for (const [key, row] of this.#rows) {
      if (!isLive(JSON.parse(row) as ProtocolObject, now) && this.#remove(key)) {
        deleted++;
      }
    }
    return deleted;
  }

  #live(key: string): ProtocolObject | undefined {
    const row = this.#rows.get(key);
    const object = row === undefined ? undefined : (JSON.parse(row) as ProtocolObject);
    return object !== undefined && isLive(object, this.#clock.now()) ? object : undefined;
  }

  /** The most recently stored live object under `index`. */
  #findBy(index: string): ProtocolObject | undefined {
    for (const key of [...(this.#index.get(index) ?? [])].reverse()) {
      const object = this.#live(key);
      if (object !== undefined) {
        return object;
      }
    }
    return undefined;
  }

  #remove(key: string): boolean {
    const row = this.#rows.get(key);
    if (row === undefined) {
      return false;
    }
    for (const index of indexKeysOf(JSON.parse(row) as ProtocolObject)) {
      const keys = this.#index.get(index);
      keys?.delete(key);
      if (keys?.size === 0) {
        this.#index.delete(index);
      }
    }
    return this.#rows.delete(key);
  }
}
