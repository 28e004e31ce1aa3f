/**
 * Serves one plain (non-upgrade) request, HTTP/1.1 or HTTP/2: request info,
 * the identity stages, then forward; every failure becomes a Status.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import { PassThrough, type Readable } from "node:stream";
import type { Socket } from "node:net";
import { KubewardError } from "../errors.ts";
import type { HandlerContext } from "./context.ts";
import { clientAddress, type RawHeaders } from "./headers.ts";
import { identityStages } from "./identity.ts";
import { observe, type Observation } from "./observe.ts";
import { sendStatus, toStatus } from "./status.ts";
import { checkTarget, requestInfo } from "./stages/request-info.ts";
import { forward, type ClientResponse } from "./stages/forward.ts";
import { trackConnection } from "./stages/revocation.ts";

type Request = IncomingMessage | Http2ServerRequest;
type Response = ServerResponse | Http2ServerResponse;

/** Handles a request; never throws (nor rejects). */
export function handleRequest(ctx: HandlerContext, req: Request, res: Response): Promise<void> {
  const info = requestInfo(req.method ?? "GET", req.url ?? "/", false);
  const remote = clientAddress(req.socket?.remoteAddress);
  const obs = observe(ctx, info, req.method ?? "", remote, false);
  const h1 = req.httpVersionMajor === 1;
  const done = ctx.drain.beginRequest(h1 ? (req.socket as Socket) : undefined);
  res.on("close", done);
  if (h1 && ctx.drain.draining) res.setHeader("connection", "close");
  const work = serve(ctx, req, res, info.longRunning, obs, remote);
  if (!info.longRunning) ctx.drain.trackPlain(work);
  return work;
}

async function serve(ctx: HandlerContext, req: Request, res: Response, longRunning: boolean, obs: Observation, remote: string): Promise<void> {
  try {
    checkHeaderSize(req, ctx.config.maxHeaderSize);
    checkTarget(req.url ?? "");
    const { headers, subject } = await identityStages(ctx, req.rawHeaders, remote, obs);
    const outcome = await forward(ctx.upstream, {
      method: req.method ?? "GET", target: req.url ?? "/", headers, body: hasBody(req) ? requestBody(req) : null, longRunning,
    }, res as unknown as ClientResponse);
    if (outcome.kind === "failed") {
      // A request the client abandoned (or whose upload broke) is not kube-apiserver's fault.
      if (!outcome.clientGone) ctx.metrics.upstreamErrors.inc({ kind: outcome.errorKind });
      return fail(ctx, req, res, obs, outcome.error);
    }
    if (longRunning) obs.startLongRunning();
    const untrack = longRunning ? ctx.drain.trackStream(outcome.end) : () => {};
    const unregister = longRunning ? trackConnection(ctx.revocation, subject, outcome.end) : () => {};
    const broken = await outcome.done;
    untrack();
    unregister();
    if (broken !== undefined) ctx.metrics.upstreamErrors.inc({ kind: broken });
    obs.finish(outcome.statusCode, broken === undefined ? undefined : "upstream_error");
  } catch (err) {
    fail(ctx, req, res, obs, err);
  }
}

function fail(ctx: HandlerContext, req: Request, res: Response, obs: Observation, err: unknown): void {
  const status = toStatus(err);
  const reason = err instanceof KubewardError ? err.code : "internal";
  if (!(err instanceof KubewardError)) ctx.logger.error({ err: (err as Error)?.message }, "request failed");
  else if (err.code.startsWith("upstream_")) ctx.logger.warn({ reason, detail: err.detail }, "kube-apiserver request failed");
  else if (err.detail !== undefined) ctx.logger.debug({ reason, detail: err.detail }, "request refused");
  if (res.headersSent || res.destroyed) res.destroy();
  else {
    sendStatus(res, status);
    // kube-apiserver closes HTTP/2 connections after a 401 so unauthenticated clients cannot hold streams.
    if (status.code === 401 && req.httpVersionMajor === 2) (req as Http2ServerRequest).stream.session?.close();
  }
  obs.finish(status.code, reason);
}

/** HTTP/1.1's limit is enforced by the parser; HTTP/2 header blocks are measured here (RFC 9113 §6.5.2 sizing). */
function checkHeaderSize(req: Request, max: number): void {
  if (req.httpVersionMajor !== 2) return;
  const raw: RawHeaders = req.rawHeaders;
  let size = 0;
  for (const h of raw) size += h.length + 16;
  if (size > max) throw new KubewardError("request_header_too_large", `HTTP/2 header block of about ${size} bytes`);
}

/**
 * The body to send upstream. Node's HTTP/2 compat request ends normally (after
 * "aborted") when the client resets the stream mid-upload; that must not
 * reach kube-apiserver as a complete, truncated body, so a reset cuts it.
 */
function requestBody(req: Request): Readable {
  if (req.httpVersionMajor !== 2) return req;
  const h2 = req as Http2ServerRequest;
  const body = new PassThrough();
  h2.pipe(body, { end: false });
  h2.once("aborted", () => body.destroy(new KubewardError("request_invalid", "the client reset the stream mid-upload")));
  h2.once("end", () => { if (!h2.aborted) body.end(); });
  return body;
}

function hasBody(req: Request): boolean {
  if (req.httpVersionMajor === 2) return !(req as Http2ServerRequest).stream.endAfterHeaders;
  const length = req.headers["content-length"];
  return req.headers["transfer-encoding"] !== undefined || (length !== undefined && length !== "0");
}
