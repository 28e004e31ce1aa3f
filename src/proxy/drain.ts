/**
 * Connection bookkeeping for a graceful shutdown: which HTTP/1.1 sockets are
 * idle, which HTTP/2 sessions are open, which requests are in flight, which
 * responses stream (watches) and which sockets are upgraded.
 */
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { ServerHttp2Session } from "node:http2";

/** Tracks connections and requests so close() can drain them. */
export interface DrainTracker {
  readonly draining: boolean;
  /** Tracks a TCP connection from accept on (so even one that never finishes its TLS handshake is cut). */
  addConnection(socket: Socket): void;
  /** Tracks an HTTP/1.1 connection. */
  addSocket(socket: Socket): void;
  addSession(session: ServerHttp2Session): void;
  /** Marks a request active on its HTTP/1.1 connection; call the result when its response is done. */
  beginRequest(socket: Socket): () => void;
  /** Tracks a request that is not long-running; drain waits for it. */
  trackPlain(done: Promise<unknown>): void;
  /** Tracks a streaming response; `end` ends it cleanly. */
  trackStream(end: () => void): void;
  /** Stops tracking the response `end` ends (no untrack closure for each open watch to keep). */
  untrackStream(end: () => void): void;
  /** Tracks an upgraded socket (moved off HTTP). */
  trackUpgraded(socket: Duplex): void;
  /** Drains: idle connections close, streams end, plain requests get up to `graceMs`, then everything is cut. */
  drain(graceMs: number): Promise<void>;
}

/** A new tracker. */
export function createDrainTracker(): DrainTracker {
  return new Tracker();
}

/** Adds `item` to `set` until `emitter` closes. */
function untilClose<T>(set: Set<T>, item: T, emitter: { once(event: "close", fn: () => void): unknown }): void {
  set.add(item);
  emitter.once("close", () => set.delete(item));
}

class Tracker implements DrainTracker {
  draining = false;
  /** HTTP/1.1 connections and how many requests each is serving. */
  readonly #active = new Map<Socket, number>();
  readonly #connections = new Set<Socket>();
  readonly #sessions = new Set<ServerHttp2Session>();
  readonly #plain = new Set<Promise<unknown>>();
  readonly #streams = new Set<() => void>();
  readonly #upgraded = new Set<Duplex>();

  addConnection(socket: Socket): void {
    untilClose(this.#connections, socket, socket);
  }

  addSocket(socket: Socket): void {
    this.#active.set(socket, 0);
    socket.once("close", () => this.#active.delete(socket));
  }

  addSession(session: ServerHttp2Session): void {
    untilClose(this.#sessions, session, session);
    if (this.draining) session.close();
  }

  beginRequest(socket: Socket): () => void {
    if (!this.#active.has(socket)) return () => {};
    this.#active.set(socket, (this.#active.get(socket) ?? 0) + 1);
    return () => {
      const left = (this.#active.get(socket) ?? 1) - 1;
      if (this.#active.has(socket)) this.#active.set(socket, left);
      if (this.draining && left === 0) socket.end();
    };
  }

  trackPlain(done: Promise<unknown>): void {
    const settled = done.catch(() => {});
    this.#plain.add(settled);
    void settled.then(() => this.#plain.delete(settled));
  }

  trackStream(end: () => void): void {
    this.#streams.add(end);
  }

  untrackStream(end: () => void): void {
    this.#streams.delete(end);
  }

  trackUpgraded(socket: Duplex): void {
    this.#active.delete(socket as Socket);
    untilClose(this.#upgraded, socket, socket);
  }

  async drain(graceMs: number): Promise<void> {
    this.draining = true;
    for (const [socket, active] of this.#active) if (active === 0) socket.end();
    for (const session of this.#sessions) session.close();
    for (const end of [...this.#streams]) end();
    await waitAll([...this.#plain], graceMs);
    for (const socket of this.#upgraded) socket.destroy();
    await waitAll([...this.#active].filter(([socket, active]) => active === 0 && writing(socket)).map(([socket]) => flushed(socket)), FLUSH_MS);
    for (const socket of this.#active.keys()) socket.destroy();
    for (const session of this.#sessions) session.destroy();
    for (const socket of this.#connections) socket.destroy();
  }
}

/**
 * How long a connection whose last response is still being written (a large
 * body, a slow reader) may take to deliver it once its request is done.
 */
const FLUSH_MS = 1_000;

/** Whether bytes handed to the socket have not reached the kernel yet. */
function writing(socket: Socket): boolean {
  return !socket.destroyed && socket.writableLength > 0;
}

/** Settles once everything written to `socket` is flushed, or it closes. */
function flushed(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    socket.once("finish", resolve);
    socket.once("drain", resolve);
    socket.once("close", resolve);
  });
}

async function waitAll(promises: Promise<unknown>[], ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => { timer = setTimeout(resolve, ms); });
  await Promise.race([Promise.all(promises), timeout]);
  clearTimeout(timer);
}
