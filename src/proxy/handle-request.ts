/**
 * Serves one plain (non-upgrade) request, HTTP/1.1 or HTTP/2: request info,
 * the identity stages, then forward; every failure becomes a Status.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { IncomingHttpHeaders, ServerHttp2Stream } from "node:http2";
import { PassThrough, type Readable } from "node:stream";
import type { Socket } from "node:net";
import { KubewardError } from "../errors.ts";
import type { HandlerContext } from "./context.ts";
import { clientAddress, firstHeader, type RawHeaders } from "./headers.ts";
import { Http2Response } from "./http2-response.ts";
import { identityStages } from "./identity.ts";
import { forgetToken } from "./stages/authenticate.ts";
import { observe, type Observation } from "./observe.ts";
import { sendStatus, toStatus, type StatusResponse } from "./status.ts";
import { checkTarget, requestInfo } from "./stages/request-info.ts";
import { forward, type ClientResponse, type Relay } from "./stages/forward.ts";
import type { Subject } from "../revocation/index.ts";
import { nothing, trackConnection } from "./stages/revocation.ts";

type Response = ClientResponse & StatusResponse & { writeContinue(): void };

/** A client's request as the handler reads it, from either protocol. */
interface Call {
  readonly method: string;
  /** The request target (path and query) as the client sent it. */
  readonly target: string;
  readonly rawHeaders: RawHeaders;
  readonly remote: string;
  /** The HTTP/1.1 request, or undefined. */
  readonly req: IncomingMessage | undefined;
  /** The HTTP/2 stream, or undefined. */
  readonly stream: ServerHttp2Stream | undefined;
}

/** Handles an HTTP/1.1 request; never throws (nor rejects). */
export function handleHttp1Request(ctx: HandlerContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const socket = req.socket as Socket;
  if (ctx.drain.draining) res.setHeader("connection", "close");
  return handle(ctx, {
    method: req.method ?? "GET", target: req.url ?? "/", rawHeaders: req.rawHeaders, remote: clientAddress(socket.remoteAddress),
    req, stream: undefined,
  }, res as unknown as Response);
}

/** Handles an HTTP/2 stream (Node's core API, see http2-response.ts); never throws (nor rejects). */
export function handleHttp2Stream(ctx: HandlerContext, stream: ServerHttp2Stream, headers: IncomingHttpHeaders, rawHeaders: RawHeaders): Promise<void> {
  return handle(ctx, {
    method: String(headers[":method"] ?? "GET"), target: String(headers[":path"] ?? ""), rawHeaders,
    remote: clientAddress(stream.session?.socket?.remoteAddress), req: undefined, stream,
  }, new Http2Response(stream));
}

function handle(ctx: HandlerContext, call: Call, res: Response): Promise<void> {
  const info = requestInfo(call.method, call.target, false);
  const obs = observe(ctx, info, call.method, call.remote, false);
  // An HTTP/1.1 connection is closed by the drain once its requests are done; HTTP/2 sessions get a GOAWAY.
  if (call.req !== undefined) res.on("close", ctx.drain.beginRequest(call.req.socket as Socket));
  // A watch's end is heard by a listener, not awaited: an open watch holds no promise here.
  if (info.longRunning) {
    return open(ctx, call, res, true, obs).then((opened) => { if (opened !== undefined) follow(ctx, opened, res, true, obs, nothing); });
  }
  const work = open(ctx, call, res, false, obs).then((opened) => opened && new Promise<void>((ended) => follow(ctx, opened, res, false, obs, ended)));
  ctx.drain.trackPlain(work);
  return work;
}

/** A response being relayed, and whose request it is. */
interface Opened {
  readonly relay: Relay;
  readonly subject: Subject;
}

/**
 * Checks and forwards the request until kube-apiserver answers; a failure is
 * answered here (undefined). Over HTTP/2 nothing of the request is held
 * past this, however long the response then streams; Node keeps an HTTP/1.1
 * request, headers and all, until its response ends, so a long-running
 * one's token is blanked (other requests end within the request timeout,
 * and blanking costs every one of them some CPU).
 */
async function open(ctx: HandlerContext, call: Call, res: Response, longRunning: boolean, obs: Observation): Promise<Opened | undefined> {
  try {
    if (call.stream !== undefined) checkHeaderSize(call.rawHeaders, ctx.config.maxHeaderSize);
    checkTarget(call.target);
    const { headers, subject } = await identityStages(ctx, call.rawHeaders, call.remote, obs);
    if (longRunning && call.req !== undefined) forgetToken(call.req);
    const outcome = await forward(ctx.upstream, { method: call.method, target: call.target, headers, body: requestBody(call, res), longRunning }, res);
    if (outcome.kind === "responded") return { relay: outcome.relay, subject };
    // A request the client abandoned (or whose upload broke) is not kube-apiserver's fault.
    if (!outcome.clientGone) ctx.metrics.upstreamErrors.inc({ kind: outcome.errorKind });
    fail(ctx, res, obs, outcome.error, call.stream);
  } catch (err) {
    fail(ctx, res, obs, err, call.stream);
  }
  return undefined;
}

/**
 * Relays the response to its end, then calls `ended`; a watch meanwhile can
 * be ended by the drain or a revocation. While a watch streams, what it holds
 * here is the listener below: no suspended async function or promise.
 */
function follow(ctx: HandlerContext, { relay, subject }: Opened, res: Response, longRunning: boolean, obs: Observation, ended: () => void): void {
  let unregister = nothing;
  try {
    if (longRunning) {
      obs.startLongRunning();
      ctx.drain.trackStream(relay.end);
      unregister = trackConnection(ctx.revocation, subject, relay.end);
    }
  } catch (err) {
    untrack(ctx, relay, longRunning, unregister);
    fail(ctx, res, obs, err, undefined);
    ended();
    return;
  }
  relay.whenDone((broken) => {
    untrack(ctx, relay, longRunning, unregister);
    try {
      if (broken !== undefined) ctx.metrics.upstreamErrors.inc({ kind: broken });
      obs.finish(relay.statusCode, broken === undefined ? undefined : "upstream_error");
    } catch (err) {
      fail(ctx, res, obs, err, undefined);
    }
    ended();
  });
}

/** Stops tracking a response for the drain and for revocations. */
function untrack(ctx: HandlerContext, relay: Relay, longRunning: boolean, unregister: () => void): void {
  if (!longRunning) return;
  ctx.drain.untrackStream(relay.end);
  unregister();
}

function fail(ctx: HandlerContext, res: Response, obs: Observation, err: unknown, stream: ServerHttp2Stream | undefined): void {
  const status = toStatus(err);
  const reason = err instanceof KubewardError ? err.code : "internal";
  if (!(err instanceof KubewardError)) ctx.logger.error({ err: (err as Error)?.message }, "request failed");
  else if (err.code.startsWith("upstream_")) ctx.logger.warn({ reason, detail: err.detail }, "kube-apiserver request failed");
  else if (err.detail !== undefined) ctx.logger.debug({ reason, detail: err.detail }, "request refused");
  if (res.headersSent || res.destroyed) res.destroy();
  else {
    sendStatus(res, status);
    // kube-apiserver closes HTTP/2 connections after a 401 so unauthenticated clients cannot hold streams.
    if (status.code === 401) stream?.session?.close();
  }
  obs.finish(status.code, reason);
}

/** HTTP/1.1's limit is enforced by the parser; HTTP/2 header blocks are measured here (RFC 9113 §6.5.2 sizing). */
function checkHeaderSize(raw: RawHeaders, max: number): void {
  let size = 0;
  for (const h of raw) size += h.length + 16;
  if (size > max) throw new KubewardError("request_header_too_large", `HTTP/2 header block of about ${size} bytes`);
}

/**
 * The body to forward, or null when there is none. It is asked for once the
 * identity stages passed: a client that sent Expect: 100-continue is told to
 * go on only then, as Go's server does on the first read of the body.
 */
function requestBody(call: Call, res: Response): Readable | null {
  const body = call.stream !== undefined ? http2Body(call.stream) : http1Body(call.req as IncomingMessage);
  if (body !== null && firstHeader(call.rawHeaders, "expect")?.toLowerCase() === "100-continue") res.writeContinue();
  return body;
}

function http1Body(req: IncomingMessage): Readable | null {
  const length = req.headers["content-length"];
  return req.headers["transfer-encoding"] !== undefined || (length !== undefined && length !== "0") ? req : null;
}

/**
 * The body of an HTTP/2 request, or null. A stream the client resets
 * mid-upload must not reach kube-apiserver as a complete, truncated body,
 * so a reset cuts it.
 */
function http2Body(stream: ServerHttp2Stream): Readable | null {
  if (stream.endAfterHeaders) return null;
  const body = new PassThrough();
  stream.pipe(body, { end: false });
  stream.once("aborted", () => body.destroy(new KubewardError("request_invalid", "the client reset the stream mid-upload")));
  stream.once("end", () => { if (!stream.aborted) body.end(); });
  return body;
}
