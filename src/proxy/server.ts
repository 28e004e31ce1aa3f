/**
 * The authenticating proxy server: HTTPS with ALPN h2 and http/1.1 on
 * config.listen; every path is forwarded to kube-apiserver as the
 * authenticated user. Composes the stages, readiness and the drain.
 */
import { createSecureServer, type Http2SecureServer, type IncomingHttpHeaders, type ServerHttp2Stream } from "node:http2";
import type { AddressInfo, Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type { ProxyConfig } from "../config/types.ts";
import type { TokenAuthenticator } from "../auth/authenticator.ts";
import type { Clock } from "../clock.ts";
import type { Logger } from "../log/logger.ts";
import type { Metrics } from "../metrics/metrics.ts";
import type { RevocationGuard } from "../revocation/guard.ts";
import { KubewardError } from "../errors.ts";
import { createAccessReviewer } from "./access-review.ts";
import type { HandlerContext } from "./context.ts";
import { createDrainTracker } from "./drain.ts";
import { handleHttp1Request, handleHttp2Stream } from "./handle-request.ts";
import { handleUpgrade } from "./handle-upgrade.ts";
import { createUpstreamProbe } from "./readiness.ts";
import { toStatus, writeStatusToSocket } from "./status.ts";
import { createUpstream } from "./upstream.ts";
import { loadCertificatePair, watchCertificatePair, type CertificatePair } from "./certificate-files.ts";

/** Knobs with production defaults that tests shorten. */
export interface ProxyTuning {
  /**
   * Longest wait for kube-apiserver's response headers before a 504. The
   * default, 120 s, is twice kube-apiserver's own default request timeout, so
   * only a hung upstream trips it (watches and logs send headers at once).
   */
  readonly upstreamTimeoutMs?: number;
  /** How often kube-apiserver's /readyz is probed (default 10 s). */
  readonly probeIntervalMs?: number;
  /** How often the serving certificate's files, and the client certificate's for kube-apiserver, are re-read (default 30 s). */
  readonly certReloadIntervalMs?: number;
  /**
   * How often an HTTP/2 connection to kube-apiserver that carries watches is
   * pinged (default 30 s), and how long the answer may take before the
   * connection and its watches are closed (default 15 s): client-go's
   * defaults for its own connections.
   */
  readonly upstreamPingIntervalMs?: number;
  readonly upstreamPingTimeoutMs?: number;
}

/** What the proxy is built from (the clock, logger and metrics are passed in, never global). */
export interface ProxyDeps {
  readonly authenticator: TokenAuthenticator;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly clock: Clock;
  readonly tuning?: ProxyTuning;
  /** Enforces revocations and blocks, and ends open connections they refuse; started and stopped by the caller. */
  readonly revocation?: RevocationGuard;
}

/** A running (or ready to run) proxy. */
export interface ProxyServer {
  /** Starts listening on config.listen (HTTPS; HTTP/1.1 and HTTP/2). Resolves with the bound address. */
  listen(): Promise<AddressInfo>;
  /** True when the authenticator has keys, kube-apiserver answers and the revocation list (if any) is usable. */
  ready(): boolean;
  /** Drains: stops accepting, lets in-flight requests finish (up to config.shutdownGracePeriodMs), ends watches cleanly, then closes upgraded connections. */
  close(): Promise<void>;
}

/**
 * Builds the proxy. Nothing listens until `listen()`.
 * @example
 * const proxy = createProxyServer(config, { authenticator, logger, metrics, clock: systemClock });
 * const { port } = await proxy.listen();
 */
export function createProxyServer(config: ProxyConfig, deps: ProxyDeps): ProxyServer {
  const { logger, metrics, clock } = deps;
  const certReloadIntervalMs = deps.tuning?.certReloadIntervalMs ?? 30_000;
  const upstream = createUpstream(config.upstream, { clock, logger, headersTimeoutMs: deps.tuning?.upstreamTimeoutMs ?? 120_000,
    onRetry: (reason) => metrics.upstreamRetries.inc({ reason }),
    pingIntervalMs: deps.tuning?.upstreamPingIntervalMs ?? 30_000, pingTimeoutMs: deps.tuning?.upstreamPingTimeoutMs ?? 15_000,
    certReloadIntervalMs,
  });
  const drain = createDrainTracker();
  const ctx: HandlerContext = {
    config, authenticator: deps.authenticator, clock, logger, metrics, upstream, review: createAccessReviewer(upstream), drain,
    revocation: deps.revocation,
  };
  let server: Http2SecureServer | undefined;
  let closing = false;
  let closed: Promise<void> | undefined;
  let reloader: { stop(): void } | undefined;
  const ready = (): boolean => {
    const ok = !closing && deps.authenticator.ready() && probe.healthy() && (deps.revocation?.ready() ?? true);
    metrics.ready.set(ok ? 1 : 0);
    return ok;
  };
  // Each probe refreshes the ready gauge, so /metrics is current even when nobody polls readiness.
  const probe = createUpstreamProbe(upstream, { clock, logger, intervalMs: deps.tuning?.probeIntervalMs ?? 10_000, onProbe: ready });
  return {
    ready,
    listen: async () => {
      const serving = await startServing(ctx, certReloadIntervalMs);
      server = serving.server;
      reloader = serving.reloader;
      probe.start();
      return serving.address;
    },
    close: () => (closed ??= (async () => {
      closing = true;
      ready();
      probe.stop();
      reloader?.stop();
      const stopped = server ? new Promise<void>((resolve) => server?.close(() => resolve())) : Promise.resolve();
      await drain.drain(config.shutdownGracePeriodMs);
      await stopped;
      await upstream.close();
    })()),
  };
}

/** Loads the serving certificate, listens, then keeps the certificate fresh. */
async function startServing(ctx: HandlerContext, certReloadIntervalMs: number) {
  const { config, logger } = ctx;
  const files = { certFile: config.tlsCertFile, keyFile: config.tlsPrivateKeyFile };
  const certificate = await loadCertificatePair(files);
  const server = buildServer(ctx, certificate);
  const address = await listenOn(server, config.listen.host, config.listen.port);
  const reloader = watchCertificatePair(files, certificate, { intervalMs: certReloadIntervalMs, logger, what: "serving certificate" },
    (pair) => server.setSecureContext(pair));
  return { server, reloader, address };
}

function buildServer(ctx: HandlerContext, { cert, key }: CertificatePair): Http2SecureServer {
  const { config, logger, drain } = ctx;
  // maxHeaderSize is not in the http2 typings, but the HTTP/1.1 parser behind allowHTTP1 reads it from the server.
  // HTTP/2 allows 128 header fields by default; 2000 matches HTTP/1.1's maxHeadersCount (many --as-group values).
  const options = {
    allowHTTP1: true, cert, key, maxHeaderSize: config.maxHeaderSize, maxHeaderListPairs: 2000,
    settings: { maxHeaderListSize: config.maxHeaderSize },
  };
  const server = createSecureServer(options);
  handleRequests(server, {
    http1: (req, res) => void handleHttp1Request(ctx, req, res),
    http2: (stream, headers, rawHeaders) => void handleHttp2Stream(ctx, stream, headers, rawHeaders),
  });
  // With allowHTTP1, Node hands HTTP/1.1 upgrades (SPDY, WebSocket) to the http2 server's "upgrade" event.
  (server as NodeJS.EventEmitter).on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => void handleUpgrade(ctx, req, socket, head));
  server.on("secureConnection", (socket: TLSSocket) => {
    if (socket.alpnProtocol !== "h2") drain.addSocket(socket as Socket);
  });
  server.on("session", (session) => drain.addSession(session));
  server.on("connection", (socket: Socket) => {
    // An http2 server, unlike an https one, leaves Nagle on, even for its HTTP/1.1
    // connections: a response's body then waits ~40 ms for the ACK of its headers.
    socket.setNoDelay(true);
    // A client that vanished (a laptop closed mid port-forward) is found by TCP keep-alive probes,
    // or an idle exec or port-forward would hold its kube-apiserver session forever.
    socket.setKeepAlive(true, CLIENT_KEEPALIVE_MS);
    drain.addConnection(socket);
  });
  server.on("clientError", (err: Error & { code?: string }, socket: Duplex) => {
    logger.debug({ err: err.code ?? err.message }, "malformed request");
    const code = err.code === "HPE_HEADER_OVERFLOW" ? "request_header_too_large" : "request_invalid";
    writeStatusToSocket(socket, toStatus(new KubewardError(code, err.code)));
  });
  server.on("sessionError", (err) => logger.debug({ err: err.message }, "HTTP/2 session error"));
  server.on("tlsClientError", (err) => logger.debug({ err: err.message }, "TLS handshake failed"));
  return server;
}

/** Idle time before TCP keep-alive probes on client connections: kube-apiserver's own listeners use 3 minutes. */
const CLIENT_KEEPALIVE_MS = 3 * 60_000;

/** Handlers for both protocols of one server. */
interface RequestHandlers {
  readonly http1: (req: IncomingMessage, res: ServerResponse) => void;
  readonly http2: (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, rawHeaders: string[]) => void;
}

/**
 * HTTP/1.1 requests (allowHTTP1) reach the server's "request" event, but
 * adding a "request" listener also makes Node serve every HTTP/2 stream
 * through the compatibility layer, by a "stream" listener it adds then. That
 * listener is taken off again, and HTTP/2 streams go to `handlers.http2`.
 */
function handleRequests(server: Http2SecureServer, handlers: RequestHandlers): void {
  const before = new Set(server.listeners("stream"));
  server.on("request", handlers.http1 as (req: unknown, res: unknown) => void);
  // With a listener Node leaves "100 Continue" to the handler, which sends it once the token is accepted.
  server.on("checkContinue", handlers.http1 as (req: unknown, res: unknown) => void);
  const compat = server.listeners("stream").filter((listener) => !before.has(listener));
  // Fails at start, not by answering HTTP/2 requests twice, should a Node release wire this differently.
  if (compat.length !== 1) throw new Error(`Node added ${compat.length} HTTP/2 "stream" listeners with the "request" one; kubeward expects 1`);
  server.removeListener("stream", compat[0] as (...args: unknown[]) => void);
  server.on("stream", (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, _flags: number, rawHeaders: string[]) => {
    // Without a listener a stream's error (a reset, a broken session) would be thrown.
    stream.on("error", ignore);
    handlers.http2(stream, headers, rawHeaders);
  });
}

function ignore(): void {}

function listenOn(server: Http2SecureServer, host: string, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve(server.address() as AddressInfo);
    });
  });
}
