/**
 * oidc-provider's Adapter over a {@link ProtocolStore}: a thin translation of
 * its seconds-based expiry and `consumed` flag to storage's epoch milliseconds.
 */
import type { Clock } from "../../clock.ts";
import { isModelName, type ModelName, type ProtocolObject } from "./entities.ts";
import type { ProtocolStore } from "./storage.ts";

/** A stored model as oidc-provider sees it. */
export type AdapterPayload = Record<string, unknown>;

/** The adapter interface oidc-provider 9 calls; it ships no types of its own. */
export interface OidcAdapter {
  /** Stores `payload` under `id`, for `expiresIn` seconds when given. */
  upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void>;
  find(id: string): Promise<AdapterPayload | undefined>;
  findByUid(uid: string): Promise<AdapterPayload | undefined>;
  findByUserCode(userCode: string): Promise<AdapterPayload | undefined>;
  /** Marks the object consumed; later finds carry `consumed` (epoch seconds). */
  consume(id: string): Promise<void>;
  destroy(id: string): Promise<void>;
  revokeByGrantId(grantId: string): Promise<void>;
}

/** What oidc-provider's `adapter` option takes: constructed once per model name. */
export type OidcAdapterClass = new (model: string) => OidcAdapter;

/** Settings of {@link oidcAdapterFor}. */
export interface OidcAdapterOptions {
  /** The clock expiry is counted from; the same one storage was opened with. */
  readonly clock: Clock;
  /** oidc-provider's `clockTolerance`: objects are kept this much past their expiry. */
  readonly clockToleranceSeconds?: number;
}

function toPayload(object: ProtocolObject | undefined): AdapterPayload | undefined {
  if (object === undefined) {
    return undefined;
  }
  const { payload, consumedAt } = object;
  return consumedAt === undefined ? { ...payload } : { ...payload, consumed: Math.floor(consumedAt / 1000) };
}

/** A payload saved again after consumption keeps its consumption. */
function consumedAtOf(payload: AdapterPayload, now: number): { consumedAt?: number } {
  const { consumed } = payload;
  if (typeof consumed === "number") {
    return { consumedAt: consumed * 1000 };
  }
  return consumed ? { consumedAt: now } : {};
}

/**
 * An Adapter class whose instances keep oidc-provider's models in `store`.
 *
 * @example
 * const provider = new Provider(issuerUrl, { adapter: oidcAdapterFor(storage, { clock }) });
 */
export function oidcAdapterFor(store: ProtocolStore, options: OidcAdapterOptions): OidcAdapterClass {
  const { clock } = options;
  const toleranceMs = (options.clockToleranceSeconds ?? 0) * 1000;
  return class StorageAdapter implements OidcAdapter {
    readonly #model: ModelName;

    constructor(model: string) {
      if (!isModelName(model)) {
        throw new TypeError(`oidc adapter: unknown oidc-provider model "${model}"`);
      }
      this.#model = model;
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
      const now = clock.now();
      await store.upsertObject({
        model: this.#model,
        id,
        payload,
        ...(typeof expiresIn === "number" ? { expiresAt: now + expiresIn * 1000 + toleranceMs } : {}),
        ...consumedAtOf(payload, now),
      });
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      return toPayload(await store.findObject(this.#model, id));
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      return toPayload(await store.findObjectByUid(this.#model, uid));
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return toPayload(await store.findObjectByUserCode(this.#model, userCode));
    }

    async consume(id: string): Promise<void> {
      await store.consumeObject(this.#model, id);
    }

    async destroy(id: string): Promise<void> {
      await store.destroyObject(this.#model, id);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await store.revokeByGrantId(this.#model, grantId);
    }
  };
}
