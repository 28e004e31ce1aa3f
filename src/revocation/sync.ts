/**
 * Keeps one replica's {@link RevocationIndex} current: loads the rules from
 * the shared store, polls its change stamp on a short interval, and only when
 * the stamp moved reads the list again and rebuilds (then sweeps open
 * connections) if the set of rules changed.
 */
import type { Clock } from "../clock.ts";
import type { Revocation as StoredRevocation } from "../issuer/storage/entities.ts";
import type { RevocationStore } from "../issuer/storage/storage.ts";
import type { Logger } from "../log/logger.ts";
import type { Metrics } from "../metrics/metrics.ts";
import { RevocationIndex } from "./index.ts";
import { fromRecords } from "./model.ts";

/**
 * What to do when the list has not been confirmed current for `staleAfterMs`:
 * `failClosed` refuses every request, `bestEffort` keeps using the last list.
 */
export type LockingMode = "failClosed" | "bestEffort";

/** How a replica follows the store. */
export interface SyncOptions {
  readonly store: RevocationStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** How often the store's revocation stamp is read (default 1 s). */
  readonly pollIntervalMs?: number;
}

/** Follows the store; `onChange` listeners get each new index. */
export class RevocationSync {
  readonly #options: SyncOptions;
  #index = new RevocationIndex({ revocations: [], blocks: [] });
  #fingerprint: string | undefined;
  #stamp: string | undefined;
  #confirmedAt: number | undefined;
  #timer: NodeJS.Timeout | undefined;
  #failing = false;
  #queue: Promise<void> = Promise.resolve();
  readonly #listeners: ((index: RevocationIndex) => void)[] = [];

  constructor(options: SyncOptions) {
    this.#options = options;
    options.metrics.measureRevocationStaleness(() => this.staleness());
  }

  /** The index in use now. */
  get index(): RevocationIndex {
    return this.#index;
  }

  /** Milliseconds since the list was last confirmed current; Infinity before the first load. */
  staleness(): number {
    return this.#confirmedAt === undefined ? Infinity : this.#options.clock.now() - this.#confirmedAt;
  }

  /** Calls `listener` with every new index. */
  onChange(listener: (index: RevocationIndex) => void): void {
    this.#listeners.push(listener);
  }

  /** Loads the list once (failures are logged, not thrown), then polls until {@link stop}. */
  async start(): Promise<void> {
    await this.refresh();
    this.#timer ??= setInterval(() => void this.refresh(), this.#options.pollIntervalMs ?? 1_000);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /**
   * Reads the store now (the list only if its stamp moved); a change made by
   * this process calls this so it applies at once. Reads run one after
   * another, so an older read can never replace the index a newer one built.
   */
  refresh(): Promise<void> {
    const next = this.#queue.then(() => this.#read());
    this.#queue = next;
    return next;
  }

  async #read(): Promise<void> {
    const { store, clock, logger } = this.#options;
    try {
      const stamp = await store.revocationStamp();
      const records = stamp === this.#stamp ? undefined : await store.listRevocations();
      this.#confirmedAt = clock.now();
      if (this.#failing) logger.info("revocation list readable again");
      this.#failing = false;
      if (records !== undefined) this.#apply(records, stamp);
    } catch (err) {
      if (!this.#failing) logger.warn({ err: (err as Error).message }, "cannot read the revocation list; using the last one read");
      this.#failing = true;
    }
  }

  /**
   * Takes in `records`, read after `stamp` (so a write racing with the read at
   * worst makes the next poll read again); rebuilds when the set of rules changed.
   */
  #apply(records: readonly StoredRevocation[], stamp: string): void {
    this.#stamp = stamp;
    const fingerprint = records.map((r) => r.id).join("\n");
    if (fingerprint !== this.#fingerprint) this.#replace(new RevocationIndex(fromRecords(records, this.#options.clock.now())), fingerprint);
  }

  #replace(index: RevocationIndex, fingerprint: string): void {
    this.#index = index;
    this.#fingerprint = fingerprint;
    for (const [kind, n] of Object.entries(index.counts)) this.#options.metrics.revocationsInForce.set({ kind }, n);
    for (const listener of this.#listeners) listener(index);
  }
}
