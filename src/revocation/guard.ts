/**
 * What the proxy holds: the synced index, the locking mode, and the registry
 * of open connections that a new revocation or block ends.
 */
import { ConnectionRegistry } from "./connections.ts";
import type { Refusal, Subject } from "./index.ts";
import { RevocationSync, type LockingMode, type SyncOptions } from "./sync.ts";

/** The guard's settings: how to follow the store and what a stale list means. */
export interface GuardOptions extends SyncOptions {
  /** Default `bestEffort`; see docs/revocation.md for why. */
  readonly mode?: LockingMode;
  /** After this long without a confirmed read, the list is stale (default 15 s). */
  readonly staleAfterMs?: number;
}

/** The result of {@link RevocationGuard.check}: pass, refuse, or (failClosed) refuse everything. */
export type Verdict = Refusal | "stale" | undefined;

/**
 * Checks identities against the current list and ends open connections that
 * a newer list refuses.
 *
 * @example
 * const guard = new RevocationGuard({ store: storage, clock, logger, metrics, mode: "failClosed" });
 * await guard.start();
 * createProxyServer(config, { ...deps, revocation: guard });
 */
export class RevocationGuard {
  readonly sync: RevocationSync;
  readonly connections = new ConnectionRegistry();
  readonly mode: LockingMode;
  readonly staleAfterMs: number;
  readonly #options: GuardOptions;

  constructor(options: GuardOptions) {
    this.#options = options;
    this.mode = options.mode ?? "bestEffort";
    this.staleAfterMs = options.staleAfterMs ?? 15_000;
    this.sync = new RevocationSync(options);
    this.sync.onChange((index) => {
      const closed = this.connections.sweep(index, options.clock.now());
      if (closed > 0) options.logger.info({ closed }, "closed open connections of revoked or blocked identities");
    });
  }

  /** The verdict for `subject` now; a map lookup per group, no I/O. */
  check(subject: Subject): Verdict {
    if (this.mode === "failClosed" && this.sync.staleness() > this.staleAfterMs) return "stale";
    return this.sync.index.check(subject, this.#options.clock.now());
  }

  /**
   * Whether the proxy can enforce revocations: the list was read at least
   * once and, in `failClosed` mode, is not stale. Feeds the proxy's readiness.
   */
  ready(): boolean {
    const staleness = this.sync.staleness();
    return Number.isFinite(staleness) && (this.mode === "bestEffort" || staleness <= this.staleAfterMs);
  }

  /** Loads the list, then keeps it current until {@link stop}. */
  start(): Promise<void> {
    return this.sync.start();
  }

  stop(): void {
    this.sync.stop();
  }
}
