/**
 * The admin API listener: HTTPS only, never started without an admin config,
 * every request authenticated (mutual TLS or an admin token), every error a
 * JSON body with a stable code.
 */
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { KubewardError } from "../errors.ts";
import type { Logger } from "../log/logger.ts";
import type { RevocationService } from "../revocation/service.ts";
import { adminActor, type AdminAuthConfig } from "./auth.ts";
import { route, type Reply } from "./routes.ts";

/** Where and how the admin API serves. */
export interface AdminServerConfig extends AdminAuthConfig {
  readonly listen: { readonly host: string; readonly port: number };
  readonly certPem: string;
  readonly keyPem: string;
  /** CA whose client certificates are operators; absent: tokens only. */
  readonly clientCaPem?: string;
}

/** A running admin API. */
export interface AdminServer {
  listen(): Promise<AddressInfo>;
  close(): Promise<void>;
}

/**
 * Builds the admin API over `service`.
 *
 * @example
 * const admin = createAdminServer({ listen: { host: "127.0.0.1", port: 8444 }, certPem, keyPem, clientCaPem }, { service, logger });
 * await admin.listen();
 */
export function createAdminServer(config: AdminServerConfig, deps: { service: RevocationService; logger: Logger }): AdminServer {
  const server: Server = createServer({
    cert: config.certPem, key: config.keyPem, requestCert: config.clientCaPem !== undefined, rejectUnauthorized: false,
    ...(config.clientCaPem === undefined ? {} : { ca: config.clientCaPem }),
  }, (req, res) => void handle(config, deps, req, res));
  return {
    listen: () => new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(config.listen.port, config.listen.host, () => {
        server.off("error", reject);
        resolve(server.address() as AddressInfo);
      });
    }),
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

async function handle(config: AdminServerConfig, deps: { service: RevocationService; logger: Logger }, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    const actor = await adminActor(req, config);
    send(res, await route(deps.service, req, actor));
  } catch (err) {
    const e = err instanceof KubewardError ? err : new KubewardError("internal", (err as Error)?.message);
    deps.logger.info({ reason: e.code, detail: e.detail, method: req.method }, "admin request refused");
    // Validation details echo what the caller sent, so they are safe to return.
    const detail = e.code === "request_invalid" && e.detail !== undefined ? { detail: e.detail } : {};
    send(res, { status: e.status, body: { error: e.code, message: e.message, ...detail } });
  }
}

function send(res: ServerResponse, reply: Reply): void {
  if (reply.body === undefined) {
    res.writeHead(reply.status).end();
    return;
  }
  const text = JSON.stringify(reply.body);
  res.writeHead(reply.status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) }).end(text);
}
