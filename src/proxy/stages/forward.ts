/**
 * Stage "forward": sends the rewritten request through the upstream pool and
 * streams the answer back as it arrives. Nothing is buffered in either
 * direction, so --flush-interval has nothing to do: every chunk kube-apiserver
 * writes (a watch event, a page of a large list) is written to the client at once.
 */
import type { IncomingHttpHeaders } from "node:http";
import type { Readable, Writable } from "node:stream";
import { HOP_BY_HOP } from "../headers.ts";
import { upstreamFailure, type Upstream, type UpstreamErrorKind } from "../upstream.ts";
import { KubewardError } from "../../errors.ts";

/** The response side, common to HTTP/1.1 and HTTP/2 compat responses. */
export type ClientResponse = Writable & {
  readonly headersSent: boolean;
  writeHead(code: number, headers: Record<string, string | string[]>): unknown;
  flushHeaders?(): void;
};

/** The rewritten request to send upstream. */
export interface ForwardRequest {
  readonly method: string;
  /** Path and query, as the client sent them. */
  readonly target: string;
  readonly headers: readonly string[];
  /** The request body, or null when there is none. */
  readonly body: Readable | null;
  readonly signal: AbortSignal;
  /** A watch or other stream: the drain may end it, so its event boundaries are tracked. */
  readonly longRunning: boolean;
}

/** How a forwarded exchange ended. */
export type ForwardOutcome =
  | {
    readonly kind: "responded"; readonly statusCode: number;
    /** Settles when the exchange is over; with the failure kind when the upstream broke off mid-body. */
    readonly done: Promise<UpstreamErrorKind | undefined>;
    /** Ends the response cleanly now (for the drain), at an event boundary when the body is a JSON stream. */
    readonly end: () => void;
  }
  | { readonly kind: "failed"; readonly error: KubewardError; readonly errorKind: UpstreamErrorKind };

/** Sends the request; on a response writes the head and starts piping the body (`done` settles when it ends). */
export async function forward(upstream: Upstream, req: ForwardRequest, res: ClientResponse): Promise<ForwardOutcome> {
  let answer;
  try {
    answer = await upstream.pool.request({
      method: req.method, path: upstream.basePath + req.target, signal: req.signal,
      headers: [...req.headers, ...(await upstream.credentialHeaders())], body: req.body,
    });
  } catch (err) {
    const { error, kind } = upstreamFailure(err);
    return { kind: "failed", error, errorKind: kind };
  }
  const { statusCode, headers, body } = answer;
  try {
    res.writeHead(statusCode, responseHeaders(headers));
  } catch (err) {
    body.destroy();
    return { kind: "failed", error: new KubewardError("upstream_error", `unusable response headers: ${(err as Error).message}`), errorKind: "bad_response" };
  }
  res.flushHeaders?.();
  const done = pipeBody(body, res);
  const atBoundary = req.longRunning ? eventBoundary(body, String(headers["content-type"] ?? "")) : () => true;
  return { kind: "responded", statusCode, done, end: () => endStream(body, res, atBoundary) };
}

/**
 * Whether the bytes written so far end at a watch event boundary: JSON watch
 * events end with a newline; for other encodings any point will do.
 */
function eventBoundary(body: Readable, contentType: string): () => boolean {
  if (!contentType.startsWith("application/json")) return () => true;
  let aligned = true;
  body.on("data", (chunk: Buffer) => { aligned = chunk[chunk.length - 1] === 0x0a; });
  return () => aligned;
}

/** Upstream response headers minus hop-by-hop ones and those named in Connection (HTTP/2 forbids them). */
export function responseHeaders(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const named = new Set(String(headers["connection"] ?? "").split(",").map((t) => t.trim().toLowerCase()));
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || named.has(name)) continue;
    out[name] = value;
  }
  return out;
}

/**
 * Pipes with backpressure; a failure on either side destroys both. Settles
 * once the exchange is over: undefined when the body was delivered or the
 * client left, the failure kind when the upstream broke off mid-body.
 */
function pipeBody(body: Readable, res: ClientResponse): Promise<UpstreamErrorKind | undefined> {
  return new Promise((resolve) => {
    body.pipe(res);
    body.once("error", (err) => {
      res.destroy();
      resolve(upstreamFailure(err).kind);
    });
    res.once("finish", () => resolve(undefined));
    res.once("close", () => {
      body.destroy();
      resolve(undefined);
    });
  });
}

/** How long a drain waits for the rest of a half-written watch event. */
const EVENT_BOUNDARY_WAIT_MS = 1_000;

/**
 * Ends a streaming response cleanly (the client sees the body end, not a
 * reset) and stops reading upstream; waits briefly for the current event to
 * be complete so the client never gets half an event.
 */
function endStream(body: Readable, res: ClientResponse, atBoundary: () => boolean): void {
  let ended = false;
  const finish = () => {
    if (ended) return;
    ended = true;
    clearTimeout(timer);
    body.off("data", check);
    body.unpipe(res);
    body.destroy();
    if (!res.writableEnded) res.end();
  };
  // Registered after the pipe and the boundary tracker, so it runs once the chunk is written.
  const check = () => { if (atBoundary()) finish(); };
  const timer = setTimeout(finish, EVENT_BOUNDARY_WAIT_MS);
  body.on("data", check);
  check();
}
