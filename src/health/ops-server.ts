/**
 * The operations endpoints, on plain HTTP and never on the proxy's port:
 * config.metricsListen serves /metrics, /healthz and /readyz;
 * config.readinessProbePort serves /ready (and /healthz, /readyz).
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { createServer } from "../node-http.ts";
import type { AddressInfo } from "node:net";
import type { ProxyConfig } from "../config/types.ts";
import type { Logger } from "../log/logger.ts";
import type { Metrics } from "../metrics/metrics.ts";

/** The plain-HTTP operations servers (metrics, health, readiness). */
export interface OpsServers {
  listen(): Promise<void>;
  close(): Promise<void>;
  /** Bound addresses, once listening (absent servers are absent). */
  addresses(): { readonly metrics?: AddressInfo; readonly readiness?: AddressInfo };
}

/** What the ops servers read from. */
export interface OpsDeps {
  readonly metrics: Metrics;
  readonly ready: () => boolean;
  readonly logger: Logger;
  /** Interface the readiness port binds; all interfaces when absent (the kubelet probes the pod IP). */
  readonly readinessProbeHost?: string;
}

type Route = (res: ServerResponse) => Promise<void> | void;

/**
 * Builds the servers the config asks for.
 * @example
 * const ops = createOpsServers(config, { metrics, ready: () => proxy.ready(), logger });
 * await ops.listen();
 */
export function createOpsServers(config: ProxyConfig, deps: OpsDeps): OpsServers {
  const health: Record<string, Route> = {
    "/healthz": (res) => text(res, 200, "ok"),
    "/readyz": (res) => readiness(res, deps.ready()),
    "/ready": (res) => readiness(res, deps.ready()),
  };
  const planned: { name: "metrics" | "readiness"; host: string | undefined; port: number; routes: Record<string, Route> }[] = [];
  if (config.metricsListen) {
    const routes = { ...health, "/metrics": (res: ServerResponse) => metricsRoute(res, deps.metrics) };
    planned.push({ name: "metrics", host: config.metricsListen.host, port: config.metricsListen.port, routes });
  }
  if (config.readinessProbePort !== undefined) {
    planned.push({ name: "readiness", host: deps.readinessProbeHost, port: config.readinessProbePort, routes: health });
  }
  const servers = planned.map((p) => ({ ...p, server: createServer((req, res) => void serve(p.routes, req, res, deps.logger)) }));
  return {
    listen: async () => {
      await Promise.all(servers.map((s) => listen(s.server, s.host, s.port)));
    },
    close: async () => {
      await Promise.all(servers.map((s) => new Promise<void>((resolve) => {
        s.server.close(() => resolve());
        s.server.closeAllConnections();
      })));
    },
    addresses: () => Object.fromEntries(servers.filter((s) => s.server.listening).map((s) => [s.name, s.server.address() as AddressInfo])),
  };
}

async function serve(routes: Record<string, Route>, req: IncomingMessage, res: ServerResponse, logger: Logger): Promise<void> {
  const path = (req.url ?? "/").split("?")[0] ?? "/";
  const route = routes[path];
  if (route === undefined) return text(res, 404, "not found");
  if (req.method !== "GET" && req.method !== "HEAD") return text(res, 405, "method not allowed");
  try {
    await route(res);
  } catch (err) {
    logger.error({ err: (err as Error).message }, "ops endpoint failed");
    if (!res.headersSent) text(res, 500, "internal error");
  }
}

function readiness(res: ServerResponse, ready: boolean): void {
  text(res, ready ? 200 : 503, ready ? "ok" : "not ready");
}

async function metricsRoute(res: ServerResponse, metrics: Metrics): Promise<void> {
  const body = await metrics.registry.metrics();
  res.writeHead(200, { "content-type": metrics.registry.contentType });
  res.end(body);
}

function text(res: ServerResponse, code: number, body: string): void {
  res.writeHead(code, { "content-type": "text/plain; charset=utf-8" });
  res.end(body);
}

function listen(server: Server, host: string | undefined, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}
