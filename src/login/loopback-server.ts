/**
 * The redirect server of the browser flow: listens on the first loopback
 * address that is free, waits for the issuer to send the browser back with a
 * code (or an error), and shows the browser a short page with the outcome.
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { createServer } from "../node-http.ts";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { ConfigError } from "../config/errors.ts";
import type { ListenAddress } from "./login-options.ts";

/** One redirect that reached the server, to be answered once the login has ended. */
export interface Callback {
  /** The request's path and query, e.g. `/?code=…&state=…`. */
  readonly pathAndQuery: string;
  /** Shows the browser the outcome and releases the request. */
  respond(ok: boolean, message: string): void;
}

/** A listening redirect server. */
export interface LoopbackServer {
  readonly port: number;
  /** Resolves with the first request carrying `code` or `error`; rejects when `signal` aborts. */
  callback(signal: AbortSignal): Promise<Callback>;
  close(): Promise<void>;
}

/** Listens on the first of `addresses` that can be bound; fails naming --listen-address when none can. */
export async function startLoopbackServer(addresses: readonly ListenAddress[]): Promise<LoopbackServer> {
  const failures: string[] = [];
  for (const address of addresses) {
    const server = createServer();
    try {
      server.listen(address.port, address.host);
      await once(server, "listening");
      return serve(server);
    } catch (e) {
      failures.push(`${address.host}:${address.port} (${(e as NodeJS.ErrnoException).code ?? "error"})`);
    }
  }
  throw new ConfigError([{ path: "--listen-address", message: `no address could be bound: ${failures.join(", ")}` }]);
}

/** Serves redirects; one that arrives before anyone waits (an issuer that redirects at once) is kept for the next waiter. */
function serve(server: Server): LoopbackServer {
  const waiting: Array<(cb: Callback) => void> = [];
  const arrived: Callback[] = [];
  const held = new Set<ServerResponse>();
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://loopback");
    if (req.method !== "GET" || !(url.searchParams.has("code") || url.searchParams.has("error"))) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      return;
    }
    held.add(res);
    const cb: Callback = { pathAndQuery: req.url ?? "/", respond: (ok, message) => { held.delete(res); page(res, ok, message); } };
    const next = waiting.shift();
    if (next === undefined) arrived.push(cb);
    else next(cb);
  });
  return {
    port: (server.address() as AddressInfo).port,
    callback: (signal) =>
      new Promise<Callback>((resolve, reject) => {
        const early = arrived.shift();
        if (early !== undefined) return resolve(early);
        if (signal.aborted) return reject(signal.reason);
        const onAbort = () => reject(signal.reason);
        signal.addEventListener("abort", onAbort, { once: true });
        waiting.push((cb) => { signal.removeEventListener("abort", onAbort); resolve(cb); });
      }),
    close: async () => {
      for (const res of held) page(res, false, "kubeward login stopped.");
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
}

const ESCAPES: Readonly<Record<string, string>> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

function page(res: ServerResponse, ok: boolean, message: string): void {
  const text = message.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
  const title = ok ? "Logged in" : "Login failed";
  res.writeHead(ok ? 200 : 400, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store", connection: "close" });
  res.end(`<!doctype html><html><head><meta charset="utf-8"><title>kubeward: ${title}</title></head><body><h1>${title}</h1><p>${text}</p></body></html>\n`);
}
