/**
 * Stage "forward": sends the rewritten request through the upstream pool and
 * streams the answer back as it arrives. Nothing is buffered in either
 * direction, so --flush-interval has nothing to do: every chunk kube-apiserver
 * writes (a watch event, a page of a large list) is written to the client at once.
 */
import type { IncomingHttpHeaders } from "node:http";
import { constants, type ClientHttp2Stream, type IncomingHttpStatusHeader } from "node:http2";
import type { Dispatcher } from "undici";
import type { Readable } from "node:stream";
import { HOP_BY_HOP } from "../headers.ts";
import { isReplayable, upstreamFailure, type Upstream, type UpstreamErrorKind, type UpstreamRetryReason } from "../upstream.ts";
import { cancelStream } from "../upstream-streams.ts";
import { KubewardError } from "../../errors.ts";

/** The response side: an HTTP/1.1 ServerResponse, or an HTTP/2 stream's (Http2Response in http2-response.ts). */
export interface ClientResponse {
  readonly headersSent: boolean;
  readonly writableEnded: boolean;
  readonly destroyed: boolean;
  writeHead(code: number, headers: Record<string, string | string[]>): unknown;
  /** Sends the head now rather than with the first body bytes (HTTP/1.1; HTTP/2 heads leave at once). */
  flushHeaders?(): void;
  write(chunk: Buffer): boolean;
  end(): unknown;
  destroy(): unknown;
  on(event: "close", listener: () => void): unknown;
  once(event: "drain", listener: () => void): unknown;
}

/** The rewritten request to send upstream. */
export interface ForwardRequest {
  readonly method: string;
  /** Path and query, as the client sent them. */
  readonly target: string;
  readonly headers: readonly string[];
  /** The request body, or null when there is none. */
  readonly body: Readable | null;
  /** A watch or other stream: the drain may end it, so its event boundaries are tracked. */
  readonly longRunning: boolean;
}

/**
 * A response being relayed to the client. A listener rather than a promise
 * for its end: an open watch then holds no promise chain or suspended async
 * function while it streams.
 */
export interface Relay {
  readonly statusCode: number;
  /**
   * Calls `listener` once, when the exchange is over (at once if it already
   * is): with the failure kind when the upstream broke off mid-body.
   */
  whenDone(listener: (broken: UpstreamErrorKind | undefined) => void): void;
  /** Ends the response cleanly now (for the drain), at an event boundary when the body is a JSON stream. */
  readonly end: () => void;
}

/** How a forwarded exchange ended. */
export type ForwardOutcome =
  | { readonly kind: "responded"; readonly relay: Relay }
  | {
    readonly kind: "failed"; readonly error: KubewardError; readonly errorKind: UpstreamErrorKind;
    /** The client left first: the failure is the abandoned request's, not kube-apiserver's. */
    readonly clientGone: boolean;
  };

/**
 * Sends the request; on a response writes the head and streams the body to
 * the client as it arrives (the relay's `whenDone` listener hears when it
 * ends). Uses undici's dispatch API directly: no intermediate body stream,
 * pipe or AbortSignal per request, which is most of what a small proxied GET
 * costs.
 */
export async function forward(upstream: Upstream, req: ForwardRequest, res: ClientResponse): Promise<ForwardOutcome> {
  const credentials = await upstream.credentialHeaders();
  const send: Send = (exchange, again) => {
    if (again !== undefined) upstream.retried(again);
    overHttp1(upstream, req, credentials, exchange);
  };
  const replay = isReplayable(req.method, req.body !== null) ? send : undefined;
  if (req.longRunning && req.body === null) {
    const stream = await openStream(upstream, req, credentials);
    if (stream !== undefined) {
      return new Promise((resolve) => {
        const exchange = new Exchange(true, res, resolve, replay);
        new StreamDriver(stream, exchange, upstream.headersTimeoutMs, () => send(exchange, "refused_stream"));
      });
    }
  }
  return new Promise((resolve) => send(new Exchange(req.longRunning, res, resolve, replay)));
}

/** Sends the request over HTTP/1.1 for `exchange`; `again` says why when it is not the first time. */
type Send = (exchange: Exchange, again?: UpstreamRetryReason) => void;

/** Sends the request over the HTTP/1.1 pool, answering to `exchange`. */
function overHttp1(upstream: Upstream, req: ForwardRequest, credentials: readonly string[], exchange: Exchange): void {
  upstream.pool.dispatch({
    method: req.method, path: upstream.basePath + req.target,
    headers: credentials.length === 0 ? req.headers as string[] : [...req.headers, ...credentials], body: req.body,
  }, exchange);
}

/**
 * Opens an HTTP/2 stream for a long-running request without a body, or
 * returns undefined (no HTTP/2 upstream, or it could not be reached: the
 * HTTP/1.1 path then reports the failure as usual).
 */
async function openStream(upstream: Upstream, req: ForwardRequest, credentials: readonly string[]): Promise<ClientHttp2Stream | undefined> {
  // A raw field list, not a header object: repeated names stay repeated fields
  // (several Impersonate-Group values are several groups), and the stream keeps
  // this array, smaller than an object in dictionary mode, as long as the watch is open.
  const fields = [":method", req.method, ":path", upstream.basePath + req.target];
  for (const list of [req.headers, credentials]) {
    for (let i = 0; i + 1 < list.length; i += 2) fields.push((list[i] as string).toLowerCase(), list[i + 1] as string);
  }
  try {
    return await upstream.streams.open(fields);
  } catch {
    return undefined;
  }
}

/** Where an upstream stream's listeners find their {@link StreamDriver}. */
const DRIVER = Symbol("kubeward.streamDriver");
type DrivenStream = ClientHttp2Stream & { [DRIVER]: StreamDriver };

function onDrivenResponse(this: DrivenStream, head: IncomingHttpHeaders & IncomingHttpStatusHeader): void {
  this[DRIVER].onResponse(head);
}

function onDrivenData(this: DrivenStream, chunk: Buffer): void {
  this[DRIVER].onData(chunk);
}

function onDrivenEnd(this: DrivenStream): void {
  this[DRIVER].onEnd();
}

function onDrivenError(this: DrivenStream, err: Error): void {
  this[DRIVER].onClosed(err);
}

function onDrivenClose(this: DrivenStream): void {
  this[DRIVER].onClosed();
}

/**
 * Feeds an HTTP/2 stream's answer to `exchange`, as undici's controller does
 * over HTTP/1.1. A stream the server refused before answering (REFUSED_STREAM:
 * it never processed it, e.g. after a GOAWAY) goes over HTTP/1.1 instead; one
 * closed or cut off before answering otherwise is a reset, which the exchange
 * replays once when the request allows it. A class rather than a dozen
 * closures: one lives as long as each open watch.
 */
class StreamDriver implements Dispatcher.DispatchController {
  readonly reason = null;
  paused = false;
  private finished = false;
  private answered = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly stream: ClientHttp2Stream;
  private readonly exchange: Exchange;
  /** Sends the request over HTTP/1.1 instead; dropped once answered, with the request it holds. */
  private retry: (() => void) | undefined;

  constructor(stream: ClientHttp2Stream, exchange: Exchange, headersTimeoutMs: number, retry: () => void) {
    this.stream = stream;
    this.exchange = exchange;
    this.retry = retry;
    this.timer = setTimeout(() => this.abort(Object.assign(new Error("no response headers in time"), { code: "ETIMEDOUT" })), headersTimeoutMs);
    exchange.onRequestStart(this);
    // Shared listeners that find this driver on the stream, not five closures a watch would keep;
    // on, not once: each fires at most once, and once would wrap every listener.
    (stream as DrivenStream)[DRIVER] = this;
    stream.on("response", onDrivenResponse);
    stream.on("data", onDrivenData);
    stream.on("end", onDrivenEnd);
    stream.on("error", onDrivenError);
    stream.on("close", onDrivenClose);
  }

  /** @internal the stream's "data" listener */
  onData(chunk: Buffer): void {
    if (!this.finished) this.exchange.onResponseData(this, chunk);
  }

  /** @internal the stream's "error" listener (with the error) and "close" listener */
  onClosed(err?: Error): void {
    if (this.refused()) this.again();
    else this.abort(err ?? Object.assign(new Error(`stream closed with code ${this.stream.rstCode}`), { code: "ECONNRESET" }));
  }

  get aborted(): boolean {
    return this.finished;
  }

  abort(err: Error): void {
    if (this.finished) return;
    this.finished = true;
    this.stopTimer();
    cancelStream(this.stream);
    this.exchange.onResponseError(this, err);
  }

  pause(): void {
    this.paused = true;
    this.stream.pause();
  }

  resume(): void {
    this.paused = false;
    this.stream.resume();
  }

  /** @internal the stream's "response" listener */
  onResponse(head: IncomingHttpHeaders & IncomingHttpStatusHeader): void {
    this.answered = true;
    this.retry = undefined;
    this.stopTimer();
    const headers: IncomingHttpHeaders = {};
    for (const name in head) if (!name.startsWith(":")) headers[name] = head[name];
    this.exchange.onResponseStart(this, Number(head[":status"]), headers);
  }

  /**
   * @internal the stream's "end" listener. A stream that ends before any
   * response head (closed with NO_ERROR or CANCEL, or its connection gone)
   * was not answered: a closed stream, not an empty 200.
   */
  onEnd(): void {
    if (!this.answered) {
      this.onClosed();
      return;
    }
    if (this.finished) return;
    this.finished = true;
    this.exchange.onResponseEnd();
  }

  private refused(): boolean {
    return !this.answered && !this.finished && this.stream.rstCode === constants.NGHTTP2_REFUSED_STREAM;
  }

  private again(): void {
    this.finished = true;
    this.stopTimer();
    this.retry?.();
  }

  private stopTimer(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/** How long a drain waits for the rest of a half-written watch event. */
const EVENT_BOUNDARY_WAIT_MS = 1_000;

/**
 * One request/response exchange: undici calls it as the upstream answers, it
 * writes to the client with backpressure. A failure on either side ends both.
 */
class Exchange implements Dispatcher.DispatchHandler, Relay {
  statusCode = 0;
  readonly end = (): void => this.endCleanly();
  private controller: Dispatcher.DispatchController | undefined;
  private started = false;
  private clientGone = false;
  /** Set once the drain ends the stream on purpose: the abort that follows is not a failure. */
  private ending = false;
  /** Whether the bytes written so far end at a watch event boundary (JSON watch events end with a newline). */
  private aligned = true;
  private jsonStream = false;
  private endTimer: NodeJS.Timeout | undefined;
  private done = false;
  private broken: UpstreamErrorKind | undefined;
  private doneListener: ((broken: UpstreamErrorKind | undefined) => void) | undefined;
  /** Body chunks received this tick, not yet written. */
  private pending: Buffer[] = [];

  private readonly longRunning: boolean;
  private readonly res: ClientResponse;
  /** Resolves forward's promise; dropped once called, so an open watch does not keep it. */
  private resolve: (outcome: ForwardOutcome) => void;
  /**
   * Sends the request again over HTTP/1.1 (a replayable request only);
   * dropped once used or once the upstream answers, with the request it holds.
   */
  private replay: Send | undefined;

  constructor(longRunning: boolean, res: ClientResponse, resolve: (outcome: ForwardOutcome) => void, replay: Send | undefined) {
    this.longRunning = longRunning;
    this.res = res;
    this.resolve = resolve;
    this.replay = replay;
    res.on("close", () => {
      if (res.writableEnded) return;
      this.clientGone = true;
      this.controller?.abort(new KubewardError("request_invalid", "the client went away"));
    });
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.clientGone) controller.abort(new KubewardError("request_invalid", "the client went away"));
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    this.replay = undefined;
    const { res } = this;
    try {
      res.writeHead(statusCode, responseHeaders(headers));
    } catch (err) {
      this.fail(new KubewardError("upstream_error", `unusable response headers: ${(err as Error).message}`), "bad_response");
      this.controller?.abort(new KubewardError("upstream_error", "unusable response headers"));
      return;
    }
    this.started = true;
    if (this.longRunning) {
      res.flushHeaders?.();
      this.jsonStream = String(headers["content-type"] ?? "").startsWith("application/json");
    }
    this.statusCode = statusCode;
    this.answer({ kind: "responded", relay: this });
  }

  whenDone(listener: (broken: UpstreamErrorKind | undefined) => void): void {
    if (this.done) listener(this.broken);
    else this.doneListener = listener;
  }

  /** The exchange is over; the first call counts. */
  private settle(broken: UpstreamErrorKind | undefined): void {
    if (this.done) return;
    this.done = true;
    this.broken = broken;
    const listener = this.doneListener;
    this.doneListener = undefined;
    listener?.(broken);
  }

  private answer(outcome: ForwardOutcome): void {
    const { resolve } = this;
    this.resolve = answered;
    resolve(outcome);
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.ending && this.aligned) return;
    // The chunks of one socket read (16 KiB each, one per TLS record) leave in one write.
    if (this.pending.length === 0) process.nextTick(Exchange.flushLater, this);
    this.pending.push(chunk);
    if (this.jsonStream) this.aligned = chunk[chunk.length - 1] === 0x0a;
    if (this.ending && this.aligned) this.finish();
  }

  private static flushLater(this: void, exchange: Exchange): void {
    exchange.flush();
  }

  /** Writes the chunks gathered this tick; pauses undici while the client's socket is full. */
  private flush(): void {
    const { pending, controller } = this;
    if (pending.length === 0 || this.res.writableEnded || this.res.destroyed) return;
    this.pending = [];
    if (!this.res.write(pending.length === 1 ? pending[0] as Buffer : Buffer.concat(pending)) && controller !== undefined) {
      controller.pause();
      this.res.once("drain", () => controller.resume());
    }
  }

  onResponseEnd(): void {
    clearTimeout(this.endTimer);
    this.flush();
    if (!this.res.writableEnded) this.res.end();
    this.settle(undefined);
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    clearTimeout(this.endTimer);
    if (!this.started) {
      const { error, kind } = upstreamFailure(err);
      if (kind === "reset" && this.replay !== undefined && !this.clientGone) {
        this.sendAgain(this.replay);
        return;
      }
      this.fail(error, kind);
      return;
    }
    if (this.ending || this.clientGone) {
      this.settle(undefined);
      return;
    }
    this.res.destroy();
    this.settle(upstreamFailure(err).kind);
  }

  /**
   * Sends the request once more, after undici has finished with the broken
   * connection: it broke before any answer, so the client has seen nothing.
   */
  private sendAgain(replay: Send): void {
    this.replay = undefined;
    this.controller = undefined;
    process.nextTick(replay, this, "reset");
  }

  private fail(error: KubewardError, errorKind: UpstreamErrorKind): void {
    this.answer({ kind: "failed", error, errorKind, clientGone: this.clientGone });
  }

  /**
   * Ends a streaming response cleanly (the client sees the body end, not a
   * reset) and stops reading upstream; waits briefly for the current event
   * to be complete so the client never gets half an event.
   */
  private endCleanly(): void {
    if (this.ending) return;
    this.ending = true;
    if (this.aligned) {
      this.finish();
      return;
    }
    this.endTimer = setTimeout(() => this.finish(), EVENT_BOUNDARY_WAIT_MS);
  }

  private finish(): void {
    clearTimeout(this.endTimer);
    this.flush();
    if (!this.res.writableEnded) this.res.end();
    this.controller?.abort(new KubewardError("request_invalid", "stream ended by the proxy"));
    this.settle(undefined);
  }
}

/** An exchange's resolver once forward's promise is settled. */
function answered(): void {}

/** Upstream response headers minus hop-by-hop ones and those named in Connection (HTTP/2 forbids them). */
export function responseHeaders(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const connection = headers["connection"];
  const named = connection === undefined ? undefined : new Set(String(connection).split(",").map((t) => t.trim().toLowerCase()));
  const out: Record<string, string | string[]> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || HOP_BY_HOP.has(name) || named?.has(name) === true) continue;
    out[name] = value;
  }
  return out;
}
