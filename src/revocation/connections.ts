/**
 * The registry of open long-running requests and upgraded connections, with
 * the identity that opened each, so a new revocation or block can end them.
 */
import type { RevocationIndex, Subject } from "./index.ts";

/** One open watch, log stream, exec, attach or port-forward. */
export interface OpenConnection {
  readonly subject: Subject;
  /** Ends the connection for good; called at most once. */
  readonly close: () => void;
}

/** Tracks open connections; {@link sweep} ends those a new index refuses. */
export class ConnectionRegistry {
  readonly #open = new Set<OpenConnection>();

  /** Tracks `connection` until the returned function is called. */
  add(connection: OpenConnection): () => void {
    this.#open.add(connection);
    return () => { this.#open.delete(connection); };
  }

  /** How many connections are tracked now. */
  get size(): number {
    return this.#open.size;
  }

  /** Closes (and forgets) every connection `index` refuses at `now`; returns how many. */
  sweep(index: RevocationIndex, now: number): number {
    let closed = 0;
    for (const connection of [...this.#open]) {
      if (index.check(connection.subject, now) === undefined) continue;
      this.#open.delete(connection);
      connection.close();
      closed += 1;
    }
    return closed;
  }
}
