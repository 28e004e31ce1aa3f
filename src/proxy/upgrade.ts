/**
 * Relays an HTTP/1.1 upgrade (SPDY/3.1 or WebSocket for exec, attach and
 * port-forward) byte for byte: a TLS connection to kube-apiserver with the
 * proxy's credentials, the rewritten request, then the upstream's answer.
 * On 101 both sockets are piped; anything else is relayed as is.
 */
import { request } from "node:https";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { Socket } from "node:net";
import { STATUS_CODES } from "../node-http.ts";
import { HOP_BY_HOP } from "./headers.ts";
import { upstreamFailure, type Upstream, type UpstreamErrorKind } from "./upstream.ts";
import type { KubewardError } from "../errors.ts";

export interface UpgradeRequest {
  readonly method: string;
  readonly target: string;
  readonly headers: readonly string[];
  /** Bytes the client sent after its request head. */
  readonly head: Buffer;
}

/** What happened to an upgrade. */
export type UpgradeOutcome =
  | { readonly kind: "upgraded"; readonly closed: Promise<void> }
  | { readonly kind: "relayed"; readonly statusCode: number }
  | { readonly kind: "failed"; readonly error: KubewardError; readonly errorKind: UpstreamErrorKind };

/** Idle time before TCP keep-alive probes on an upgraded connection to kube-apiserver: Go's dialer default in client-go's transport. */
const UPSTREAM_KEEPALIVE_MS = 30_000;

/** Sends the upgrade upstream and wires the client socket to the answer. */
export async function relayUpgrade(upstream: Upstream, req: UpgradeRequest, client: Duplex): Promise<UpgradeOutcome> {
  const url = new URL(upstream.origin);
  const headers = [...req.headers, "Host", url.host, ...noBodyFraming(req), ...(await upstream.credentialHeaders())];
  return new Promise((resolve) => {
    const out = request({
      ...upstream.tls, host: url.hostname, port: url.port || 443, method: req.method,
      path: upstream.basePath + req.target, headers, agent: false,
    });
    out.setTimeout(upstream.headersTimeoutMs, () => out.destroy(Object.assign(new Error("no answer to the upgrade"), { code: "UND_ERR_HEADERS_TIMEOUT" })));
    out.on("upgrade", (res: IncomingMessage, socket: Socket, head: Buffer) => {
      socket.setTimeout(0);
      // An exec or port-forward can be quiet for hours; keep-alive probes find a dead path to kube-apiserver.
      socket.setKeepAlive(true, UPSTREAM_KEEPALIVE_MS);
      client.write(responseHead(res, false));
      if (head.length > 0) client.write(head);
      if (req.head.length > 0) socket.write(req.head);
      resolve({ kind: "upgraded", closed: splice(client, socket) });
    });
    out.on("response", (res: IncomingMessage) => {
      out.setTimeout(0);
      client.write(responseHead(res, true));
      res.pipe(client);
      res.once("error", () => client.destroy());
      resolve({ kind: "relayed", statusCode: res.statusCode ?? 502 });
    });
    out.on("error", (err) => {
      const { error, kind } = upstreamFailure(err);
      resolve({ kind: "failed", error, errorKind: kind });
    });
    // The client may have left while it was being authenticated.
    if (client.destroyed) out.destroy();
    else client.once("close", () => out.destroy());
    out.end();
  });
}

/**
 * An upgrade request has no body (bytes after the head belong to the new
 * protocol). Without a Content-Length, Node would frame a POST as chunked
 * and end it with a terminating chunk the upstream would read as stream data.
 */
function noBodyFraming(req: UpgradeRequest): string[] {
  const hasLength = req.headers.some((h, i) => i % 2 === 0 && h.toLowerCase() === "content-length");
  return hasLength || req.method === "GET" || req.method === "HEAD" ? [] : ["Content-Length", "0"];
}

/** The status line and headers as received; for a non-101 answer the body is delimited by closing the connection. */
function responseHead(res: IncomingMessage, closeDelimited: boolean): string {
  const code = res.statusCode ?? 502;
  let head = `HTTP/1.1 ${code} ${res.statusMessage || STATUS_CODES[code] || ""}\r\n`;
  const raw = res.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    if (closeDelimited && (HOP_BY_HOP.has(name) || name === "content-length")) continue;
    head += `${raw[i]}: ${raw[i + 1]}\r\n`;
  }
  return head + (closeDelimited ? "Connection: close\r\n\r\n" : "\r\n");
}

/** Pipes two sockets both ways; when either ends, errors or closes, both are torn down. */
function splice(a: Duplex, b: Duplex): Promise<void> {
  if (a.destroyed || b.destroyed) {
    a.destroy();
    b.destroy();
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    let open = 2;
    const closed = () => {
      open -= 1;
      if (open === 0) resolve();
    };
    for (const [from, to] of [[a, b], [b, a]] as const) {
      from.pipe(to);
      from.on("error", () => to.destroy());
      // A half-close ends the whole session: finish our side too, so both sockets close.
      from.once("end", () => finishThenDestroy(from));
      from.once("close", () => {
        finishThenDestroy(to);
        closed();
      });
    }
  });
}

function finishThenDestroy(socket: Duplex): void {
  if (socket.destroyed) return;
  if (socket.writableFinished) {
    socket.destroy();
    return;
  }
  socket.end();
  socket.once("finish", () => socket.destroy());
  setTimeout(() => socket.destroy(), 1_000).unref();
}
