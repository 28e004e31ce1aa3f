/**
 * The connection to kube-apiserver: one undici Pool (keep-alive, pipelining
 * 1) presenting the proxy's credentials, the TLS options upgrades reuse, and
 * the mapping of transport failures to error codes. A client certificate
 * read from files is re-read as it is renewed: new connections present the
 * new one, and the connections opened with the old one close once their
 * requests and watches end.
 */
import type { ConnectionOptions } from "node:tls";
import type { Dispatcher, Pool as UndiciPool } from "undici";
import Pool from "undici/lib/dispatcher/pool.js";
import type { UpstreamConfig } from "../config/types.ts";
import type { Clock } from "../clock.ts";
import type { Logger } from "../log/logger.ts";
import { KubewardError } from "../errors.ts";
import { createTokenSource } from "./token-source.ts";
import { createUpstreamStreams, type UpstreamStreams } from "./upstream-streams.ts";
import { watchCertificatePair } from "./certificate-files.ts";

/** The proxy's connection to kube-apiserver. */
export interface Upstream {
  /** scheme://host:port of kube-apiserver. */
  readonly origin: string;
  /** The server URL's path prefix (no trailing slash), put before every request path. */
  readonly basePath: string;
  readonly pool: UndiciPool;
  /** HTTP/2 sessions for long-running requests (see upstream-streams.ts). */
  readonly streams: UpstreamStreams;
  /** TLS options for connections opened outside the pool (upgrades). */
  readonly tls: ConnectionOptions;
  /** Longest wait for response headers, for requests made outside the pool too. */
  readonly headersTimeoutMs: number;
  /** Called each time a request is sent once more because kube-apiserver dropped it unanswered. */
  readonly retried: (reason: UpstreamRetryReason) => void;
  /** `["Authorization", "Bearer …"]` when the proxy presents a token, else []. */
  credentialHeaders(): Promise<string[]>;
  /** Sends a JSON request with the proxy's own identity; the body is parsed when it is JSON. */
  requestJson(method: string, path: string, body?: object): Promise<{ statusCode: number; body: unknown }>;
  close(): Promise<void>;
}

/** Dependencies and limits of the upstream connection. */
export interface UpstreamOptions {
  readonly clock: Clock;
  readonly logger: Logger;
  /** Longest wait for response headers before a 504. */
  readonly headersTimeoutMs: number;
  /** Hears each request sent once more (for the metric); the upstream logs it too. */
  readonly onRetry: (reason: UpstreamRetryReason) => void;
  /** How often an HTTP/2 connection with open streams is pinged, and how long its answer may take. */
  readonly pingIntervalMs: number;
  readonly pingTimeoutMs: number;
  /** How often a client certificate read from files is re-read. */
  readonly certReloadIntervalMs: number;
}

/** The pool, HTTP/2 sessions and TLS options of one client certificate. */
interface Connections {
  readonly tls: ConnectionOptions;
  readonly pool: UndiciPool;
  readonly streams: UpstreamStreams;
}

/**
 * Why a request was sent to kube-apiserver once more: its connection broke
 * before any answer (a GET, HEAD or OPTIONS without a body only), or an
 * HTTP/2 stream was refused unprocessed and went over HTTP/1.1 instead.
 */
export type UpstreamRetryReason = "reset" | "refused_stream";

/** Opens the pool to `config.server`. */
export function createUpstream(config: UpstreamConfig, options: UpstreamOptions): Upstream {
  const url = new URL(config.server);
  const openConnections = (tls: ConnectionOptions): Connections => ({
    tls,
    // HTTP/1.1 only: undici's HTTP/2 client folds repeated header names into
    // one "a, b" value, which would turn two Impersonate-Group headers into one
    // group that kube-apiserver then authorizes as such.
    pool: new Pool(url.origin, {
      connect: tls as NonNullable<UndiciPool.Options["connect"]>, pipelining: 1, headersTimeout: options.headersTimeoutMs, bodyTimeout: 0,
      allowH2: false,
    }),
    streams: createUpstreamStreams(url.origin, tls, { pingIntervalMs: options.pingIntervalMs, pingTimeoutMs: options.pingTimeoutMs, logger: options.logger }),
  });
  let current = openConnections({
    ...(config.caPem !== undefined ? { ca: config.caPem } : {}),
    ...(config.certPem !== undefined ? { cert: config.certPem } : {}),
    ...(config.keyPem !== undefined ? { key: config.keyPem } : {}),
    ...(config.tlsServerName !== undefined ? { servername: config.tlsServerName } : {}),
    rejectUnauthorized: !config.insecureSkipTlsVerify,
  });
  /** Connections of replaced certificates, closing once their requests end. */
  const retiring = new Set<Connections>();
  const files = config.clientCertFiles;
  const watcher = files && config.certPem && config.keyPem ? watchCertificatePair(
    files, { cert: Buffer.from(config.certPem), key: Buffer.from(config.keyPem) },
    { intervalMs: options.certReloadIntervalMs, logger: options.logger, what: "client certificate for kube-apiserver" },
    ({ cert, key }) => {
      const old = current;
      current = openConnections({ ...old.tls, cert, key });
      retiring.add(old);
      old.streams.close();
      void old.pool.close().catch(() => undefined).finally(() => retiring.delete(old));
    },
  ) : undefined;
  const tokens = createTokenSource(config, options.clock, options.logger);
  const credentialHeaders = async () => {
    const token = await tokens.token();
    return token === undefined ? [] : ["Authorization", `Bearer ${token}`];
  };
  const basePath = url.pathname.replace(/\/+$/, "");
  const retried = (reason: UpstreamRetryReason) => {
    options.logger.debug({ reason }, "kube-apiserver dropped a request unanswered; sending it once more");
    options.onRetry(reason);
  };
  return {
    origin: url.origin, basePath, credentialHeaders, headersTimeoutMs: options.headersTimeoutMs, retried,
    get pool() { return current.pool; },
    get streams() { return current.streams; },
    get tls() { return current.tls; },
    requestJson: async (method, path, body) => {
      const headers = [...(await credentialHeaders()), "Accept", "application/json"];
      if (body !== undefined) headers.push("Content-Type", "application/json");
      const request = { method, path: basePath + path, headers, body: body === undefined ? null : JSON.stringify(body) };
      const res = await exchangeText(current.pool, request).catch((err: unknown) => {
        const failure = upstreamFailure(err);
        if (failure.kind !== "reset" || !isReplayable(method, request.body !== null)) throw failure.error;
        retried("reset");
        return exchangeText(current.pool, request).catch((again: unknown) => { throw upstreamFailure(again).error; });
      });
      return { statusCode: res.statusCode, body: parseJson(res.text) };
    },
    close: async () => {
      watcher?.stop();
      const all = [current, ...retiring];
      for (const c of all) c.streams.close();
      await Promise.all(all.map((c) => c.pool.destroy()));
    },
  };
}

/**
 * One request through the pool's dispatch, its answer gathered as text.
 * (Pool's request() is added by undici's index, which the proxy does not load.)
 */
function exchangeText(pool: UndiciPool, options: Dispatcher.DispatchOptions): Promise<{ statusCode: number; text: string }> {
  return new Promise((resolve, reject) => {
    let statusCode = 0;
    const chunks: Buffer[] = [];
    pool.dispatch(options, {
      onRequestStart: () => {},
      onResponseStart: (_controller, status) => { statusCode = status; },
      onResponseData: (_controller, chunk) => { chunks.push(chunk); },
      onResponseEnd: () => resolve({ statusCode, text: Buffer.concat(chunks).toString("utf8") }),
      onResponseError: (_controller, err) => reject(err),
    });
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Whether a request whose connection broke before any answer may be sent
 * once more: a GET, HEAD or OPTIONS without a body. kube-apiserver may close
 * an idle keep-alive connection (on shutdown, in an upgrade) just as a
 * request leaves on it. Go's HTTP transport, and so kube-oidc-proxy, sends
 * such a request again when a reused connection breaks; undici does not say
 * whether a connection was reused, so a new one that breaks is tried once
 * more too.
 */
export function isReplayable(method: string, hasBody: boolean): boolean {
  return !hasBody && REPLAYABLE_METHODS.has(method);
}

const REPLAYABLE_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "OPTIONS"]);

/** The metric kinds of upstream failures (the upstreamErrors label). */
export type UpstreamErrorKind = "connect" | "timeout" | "tls" | "reset" | "bad_response";

const CONNECT = new Set(["ECONNREFUSED", "ENOTFOUND", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN", "EADDRNOTAVAIL", "UND_ERR_CONNECT_TIMEOUT"]);
const RESET = new Set(["ECONNRESET", "EPIPE", "UND_ERR_SOCKET", "ECONNABORTED"]);

/** Maps a transport error to a KubewardError (503 unreachable, 504 timeout, 502 bad answer) and a metric kind. */
export function upstreamFailure(err: unknown): { error: KubewardError; kind: UpstreamErrorKind } {
  if (err instanceof KubewardError) return { error: err, kind: "bad_response" };
  const code = String((err as { code?: unknown } | undefined)?.code ?? "");
  const detail = `${code} ${(err as Error | undefined)?.message ?? String(err)}`;
  const make = (c: "upstream_unavailable" | "upstream_timeout" | "upstream_error", kind: UpstreamErrorKind) =>
    ({ error: new KubewardError(c, detail, { cause: err }), kind });
  if (code === "UND_ERR_HEADERS_TIMEOUT" || code === "ETIMEDOUT") return make("upstream_timeout", "timeout");
  if (CONNECT.has(code)) return make("upstream_unavailable", "connect");
  if (/^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED)/.test(code)) return make("upstream_unavailable", "tls");
  if (RESET.has(code)) return make("upstream_error", "reset");
  return make("upstream_error", "bad_response");
}
