/**
 * HTTP/2 sessions to kube-apiserver for long-running requests (watches,
 * `logs -f`): thousands of them share a few TLS connections instead of
 * holding one each, which is most of what an open watch costs (a TLS
 * connection in Node holds ~70 KiB of native memory, measured). node:http2
 * sends a header given several values as repeated fields, so two
 * Impersonate-Group values stay two groups (undici's HTTP/2 client folds
 * them, which is why plain requests go over HTTP/1.1).
 *
 * A session takes streams up to the server's SETTINGS_MAX_CONCURRENT_STREAMS
 * (kube-apiserver's default is 250); then another session is opened. An
 * upstream that does not negotiate h2 by ALPN is remembered, and callers fall
 * back to HTTP/1.1.
 *
 * A session with open streams is pinged (HTTP/2 PING) every
 * `health.pingIntervalMs` and destroyed when an answer takes longer than
 * `health.pingTimeoutMs`, which ends its streams: a watch on a connection
 * that went dead (kube-apiserver's machine gone, a network partition, a
 * middlebox that dropped the flow) otherwise waits for events forever, with
 * nothing on the wire to tell. client-go checks its HTTP/2 connections the
 * same way (a PING after 30 s without a frame, 15 s for its answer). A
 * session that is closing (after a GOAWAY) can no longer be pinged, so its
 * connection also has TCP keep-alive.
 */
import { connect, constants, type ClientHttp2Session, type ClientHttp2Stream } from "node:http2";
import { isIP } from "node:net";
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from "node:tls";
import type { Logger } from "../log/logger.ts";

/** Opens request streams on shared HTTP/2 sessions. */
export interface UpstreamStreams {
  /** A stream for the request (`fields`: raw name/value pairs, names in lower case), or undefined when the upstream does not speak HTTP/2. */
  open(fields: readonly string[]): Promise<ClientHttp2Stream | undefined>;
  close(): void;
}

/** Streams per session when the server has not said (RFC 9113 recommends at least 100). */
const DEFAULT_MAX_STREAMS = 100;
/** Longest wait for a new session's SETTINGS; long-running requests then go over HTTP/1.1. */
const SETTINGS_WAIT_MS = 10_000;
/** An idle session (no open stream) is closed after this long. */
const IDLE_CLOSE_MS = 60_000;

/** How often a session with open streams is pinged, and how long its answer may take. */
export interface SessionHealth {
  readonly pingIntervalMs: number;
  readonly pingTimeoutMs: number;
  readonly logger: Logger;
}

interface Session {
  readonly session: ClientHttp2Session;
  active: number;
  /** A PING sent and not yet answered. */
  pinging: boolean;
}

/** Sessions to `origin` with `tls` (the same trust and client certificate as the HTTP/1.1 pool). */
export function createUpstreamStreams(origin: string, tls: ConnectionOptions, health: SessionHealth): UpstreamStreams {
  const sessions: Session[] = [];
  let connecting: Promise<Session | undefined> | undefined;
  // kube-apiserver offers HTTP/2 only over TLS (no h2c).
  let unsupported = !origin.startsWith("https:");
  let closed = false;

  const usable = (s: Session) => !s.session.closed && !s.session.destroyed &&
    s.active < (s.session.remoteSettings.maxConcurrentStreams ?? DEFAULT_MAX_STREAMS);

  function forget(s: Session): void {
    const i = sessions.indexOf(s);
    if (i !== -1) sessions.splice(i, 1);
  }

  function openSession(): Promise<Session | undefined> {
    return new Promise((resolve, reject) => {
      const session = connect(origin, { createConnection: () => openSocket(origin, tls) });
      const s: Session = { session, active: 0, pinging: false };
      // Usable once the server's SETTINGS are in: until then its stream limit is unknown.
      const settled = new Promise<void>((ok) => session.once("remoteSettings", () => ok()));
      const giveUp = setTimeout(() => {
        session.destroy();
        reject(new Error("kube-apiserver sent no HTTP/2 SETTINGS in time"));
      }, SETTINGS_WAIT_MS);
      session.once("close", () => {
        clearTimeout(giveUp);
        reject(new Error("the HTTP/2 connection closed before it could be used"));
      });
      session.once("connect", () => {
        if (session.alpnProtocol !== "h2") {
          session.off("error", failed);
          unsupported = true;
          session.destroy();
          resolve(undefined);
          return;
        }
        void settled.then(() => {
          clearTimeout(giveUp);
          session.off("error", failed);
          session.on("error", () => forget(s));
          session.once("close", () => forget(s));
          session.once("goaway", () => forget(s));
          session.setTimeout(IDLE_CLOSE_MS, () => { if (s.active === 0) session.close(); });
          const checks = setInterval(checkHealth, health.pingIntervalMs, s, health);
          checks.unref();
          session.once("close", () => clearInterval(checks));
          sessions.push(s);
          resolve(s);
        });
      });
      const failed = (err: Error & { code?: string }) => {
        clearTimeout(giveUp);
        // Node refuses a TLS connection whose ALPN did not pick h2 before "connect".
        if (err.code === "ERR_HTTP2_ERROR" && /protocol/i.test(err.message)) {
          unsupported = true;
          resolve(undefined);
          return;
        }
        reject(err);
      };
      session.once("error", failed);
    });
  }

  /** A session with a stream slot taken for the caller (active already counts it), or undefined without HTTP/2. */
  async function reserve(): Promise<Session | undefined> {
    for (;;) {
      const open = sessions.find(usable);
      if (open !== undefined) {
        open.active++;
        return open;
      }
      if (unsupported) return undefined;
      connecting ??= openSession().finally(() => { connecting = undefined; });
      if (await connecting === undefined) return undefined;
    }
  }

  return {
    async open(fields) {
      if (unsupported || closed) return undefined;
      const s = await reserve();
      if (s === undefined) return undefined;
      let stream: ClientHttp2Stream;
      try {
        stream = s.session.request(fields, { endStream: true });
      } catch (err) {
        s.active--;
        throw err;
      }
      // A shared listener that finds its session on the stream, not a closure each open watch would keep;
      // on, not once: "close" fires once, and once would wrap the listener for the stream's life.
      (stream as SlotStream)[SLOT] = s;
      stream.on("close", releaseSlot);
      return stream;
    },
    close() {
      closed = true;
      for (const s of sessions.splice(0)) s.session.close();
    },
  };
}

/** Idle time before TCP keep-alive probes on a session's connection (libuv then probes every second, 10 times). */
const SESSION_KEEPALIVE_MS = 30_000;

/**
 * A session's TLS connection, opened as node:http2 would (ALPN h2, SNI with
 * the host unless it is an address), plus TCP keep-alive, which Node does not
 * let a caller set through a session's socket.
 */
function openSocket(origin: string, tls: ConnectionOptions): TLSSocket {
  const url = new URL(origin);
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  const socket = tlsConnect({
    ...(isIP(host) === 0 ? { servername: host } : {}), ...tls, host, port: Number(url.port || 443), ALPNProtocols: ["h2"],
  });
  socket.setKeepAlive(true, SESSION_KEEPALIVE_MS);
  return socket;
}

/** Where a stream's "close" listener finds the session whose stream slot it holds. */
const SLOT = Symbol("kubeward.sessionSlot");
type SlotStream = ClientHttp2Stream & { [SLOT]: Session };

function releaseSlot(this: SlotStream): void {
  this[SLOT].active--;
}

/**
 * Pings a session that has open streams; destroys it, with its streams,
 * when the answer does not come in time.
 */
function checkHealth(s: Session, health: SessionHealth): void {
  if (s.active === 0 || s.pinging || s.session.destroyed || s.session.closed) return;
  const deadline = setTimeout(() => {
    health.logger.warn({ streams: s.active, waitedMs: health.pingTimeoutMs },
      "kube-apiserver did not answer an HTTP/2 PING; closing the connection and the watches on it");
    s.session.destroy(Object.assign(new Error(`no answer to an HTTP/2 PING within ${health.pingTimeoutMs} ms`), { code: "ETIMEDOUT" }));
  }, health.pingTimeoutMs);
  deadline.unref();
  s.pinging = s.session.ping(() => {
    clearTimeout(deadline);
    s.pinging = false;
  });
  if (!s.pinging) clearTimeout(deadline);
}

/** Closes a stream the proxy no longer wants (RST_STREAM CANCEL). */
export function cancelStream(stream: ClientHttp2Stream): void {
  if (!stream.closed && !stream.destroyed) stream.close(constants.NGHTTP2_CANCEL);
}
