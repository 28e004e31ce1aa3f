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
  /** Marks a request active on its connection (HTTP/1.1 only); call the result when its response is done. */
  beginRequest(socket: Socket | undefined): () => void;
  /** Tracks a request that is not long-running; drain waits for it. */
  trackPlain(done: Promise<unknown>): void;
  /** Tracks a streaming response; `end` ends it cleanly. Returns the untrack function. */
  trackStream(end: () => void): () => void;
  /** Tracks an upgraded socket (moved off HTTP). */
  trackUpgraded(socket: Duplex): void;
  /** Drains: idle connections close, streams end, plain requests get up to `graceMs`, then everything is cut. */
  drain(graceMs: number): Promise<void>;
}

/** A new tracker. */
export function createDrainTracker(): DrainTracker {
  let draining = false;
  const sockets = new Map<Socket, number>();
  const sessions = new Set<ServerHttp2Session>();
  const plain = new Set<Promise<unknown>>();
  const streams = new Set<() => void>();
  const upgraded = new Set<Duplex>();
  const connections = new Set<Socket>();
  const forget = <T>(set: Set<T> | Map<T, number>, item: T) => () => { set.delete(item); };
  return {
    get draining() { return draining; },
    addConnection: (socket) => {
      connections.add(socket);
      socket.once("close", forget(connections, socket));
    },
    addSocket: (socket) => {
      sockets.set(socket, 0);
      socket.once("close", forget(sockets, socket));
    },
    addSession: (session) => {
      sessions.add(session);
      session.once("close", forget(sessions, session));
      if (draining) session.close();
    },
    beginRequest: (socket) => {
      if (socket === undefined || !sockets.has(socket)) return () => {};
      sockets.set(socket, (sockets.get(socket) ?? 0) + 1);
      return () => {
        const left = (sockets.get(socket) ?? 1) - 1;
        if (sockets.has(socket)) sockets.set(socket, left);
        if (draining && left === 0) socket.end();
      };
    },
    trackPlain: (done) => {
      const settled = done.catch(() => {});
      plain.add(settled);
      void settled.then(forget(plain, settled));
    },
    trackStream: (end) => {
      streams.add(end);
      return forget(streams, end);
    },
    trackUpgraded: (socket) => {
      sockets.delete(socket as Socket);
      upgraded.add(socket);
      socket.once("close", forget(upgraded, socket));
    },
    drain: async (graceMs) => {
      draining = true;
      for (const [socket, active] of sockets) if (active === 0) socket.end();
      for (const session of sessions) session.close();
      for (const end of [...streams]) end();
      await waitAll([...plain], graceMs);
      for (const socket of upgraded) socket.destroy();
      for (const socket of sockets.keys()) socket.destroy();
      for (const session of sessions) session.destroy();
      for (const socket of connections) socket.destroy();
    },
  };
}

async function waitAll(promises: Promise<unknown>[], ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => { timer = setTimeout(resolve, ms); });
  await Promise.race([Promise.all(promises), timeout]);
  clearTimeout(timer);
}
