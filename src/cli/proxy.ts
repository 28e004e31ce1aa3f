/**
 * `kubeward proxy`: the composition root of the authenticating proxy. Builds
 * each part from the loaded config with a small build* helper, serves until
 * SIGTERM or SIGINT, then drains and exits.
 */
import { createAuthenticator } from "../auth/create-authenticator.ts";
import type { TokenAuthenticator } from "../auth/authenticator.ts";
import { systemClock, type Clock } from "../clock.ts";
import type { ProxyConfig } from "../config/types.ts";
import { createOpsServers, type OpsServers } from "../health/ops-server.ts";
import { createLogger, type Logger } from "../log/logger.ts";
import { Metrics } from "../metrics/metrics.ts";
import { createProxyServer, type ProxyServer } from "../proxy/server.ts";
import { buildRevocation, type RevocationRuntime } from "../revocation/runtime.ts";
import { VERSION } from "../version.ts";
import { EXIT, type CliIo } from "./io.ts";
import { keepMemoryReducerWorking } from "./memory-reducer.ts";

/** The running parts, in start order. */
interface Parts {
  readonly logger: Logger;
  readonly authenticator: TokenAuthenticator;
  readonly proxy: ProxyServer;
  readonly ops: OpsServers;
  /** Present when the config has a revocation section. */
  readonly revocation?: RevocationRuntime;
}

/** The metrics with their own registry (Metrics makes a new one), so prom-client is imported in one place only. */
export function buildMetrics(): Metrics {
  const metrics = new Metrics(undefined, { defaultMetrics: true });
  metrics.buildInfo.set({ version: VERSION, node: process.version }, 1);
  return metrics;
}

export function buildParts(config: ProxyConfig, clock: Clock = systemClock): Parts {
  const logger = createLogger({ level: config.logLevel });
  const metrics = buildMetrics();
  const authenticator = createAuthenticator(config.oidc, { clock, logger, metrics });
  const revocation = config.revocation && buildRevocation(config.revocation, { clock, logger, metrics, authenticator });
  const proxy = createProxyServer(config, { authenticator, logger, metrics, clock, ...(revocation ? { revocation: revocation.guard } : {}) });
  const ops = createOpsServers(config, { metrics, ready: () => proxy.ready(), logger });
  return { logger, authenticator, proxy, ops, ...(revocation ? { revocation } : {}) };
}

/**
 * Starts every part and logs one line saying where it serves (no secrets).
 * The proxy listens at once, as kube-apiserver does: until the issuer's keys
 * are loaded it answers 401 and reports not ready, so an unreachable issuer
 * delays readiness, never the listening socket.
 */
export async function startParts(config: ProxyConfig, parts: Parts): Promise<void> {
  parts.authenticator.start().catch((e: unknown) => {
    parts.logger.error({ reason: e instanceof Error ? e.message : String(e) }, "authenticator failed to start");
  });
  await parts.revocation?.start();
  const address = await parts.proxy.listen();
  await parts.ops.listen();
  parts.logger.info({
    address: `${address.address}:${address.port}`,
    issuers: config.oidc.map((o) => o.issuerUrl),
    upstream: config.upstream.server,
    ...(config.metricsListen ? { metrics: `${config.metricsListen.host}:${config.metricsListen.port}` } : {}),
    ...(config.readinessProbePort !== undefined ? { readinessProbePort: config.readinessProbePort } : {}),
    version: VERSION,
  }, "kubeward proxy listening");
}

/** Drains the proxy, then stops the ops servers and the authenticator. */
export async function stopParts(parts: Parts): Promise<void> {
  await parts.proxy.close();
  await parts.revocation?.stop();
  await parts.ops.close();
  parts.authenticator.close();
}

/** Runs the proxy until a shutdown signal; resolves with the exit code. */
export async function runProxy(config: ProxyConfig, io: CliIo): Promise<number> {
  let parts: Parts | undefined;
  try {
    parts = buildParts(config);
    await startParts(config, parts);
  } catch (e) {
    io.stderr(`kubeward: startup failed: ${e instanceof Error ? e.message : String(e)}\n`);
    if (parts) await stopParts(parts).catch(() => undefined);
    return EXIT.failed;
  }
  const stopReducer = keepMemoryReducerWorking();
  const signal = await io.shutdownSignal();
  parts.logger.info({ signal, gracePeriodMs: config.shutdownGracePeriodMs }, "shutting down");
  stopReducer();
  await stopParts(parts);
  parts.logger.info("stopped");
  return EXIT.ok;
}
