/**
 * `kubeward serve`: the embedded issuer and the authenticating proxy from one
 * config file (or none). Settles the state directory, builds each part with a
 * small build* helper, serves until SIGTERM or SIGINT, then drains and exits.
 */
import { basename, resolve } from "node:path";
import { pino } from "pino";
import { createAuthenticator } from "../auth/create-authenticator.ts";
import type { TokenAuthenticator } from "../auth/authenticator.ts";
import { systemClock } from "../clock.ts";
import { ConfigError } from "../config/errors.ts";
import { isKubewardError } from "../errors.ts";
import type { ProxyConfig } from "../config/types.ts";
import { createOpsServers, type OpsServers } from "../health/ops-server.ts";
import { flagLines } from "../login/flag-parser.ts";
import { createLogger, type Logger } from "../log/logger.ts";
import type { Metrics } from "../metrics/metrics.ts";
import { createProxyServer, type ProxyServer } from "../proxy/server.ts";
import type { RevocationGuard } from "../revocation/guard.ts";
import type { RevocationRuntime } from "../revocation/runtime.ts";
import { buildServeRevocation, embeddedMapping } from "../revocation/serve.ts";
import { ensureInitialAdmin } from "../serve/admin.ts";
import { buildIssuerPart, startIssuerPart, stopIssuerPart, type IssuerPart } from "../serve/issuer-part.ts";
import { SERVE_FLAGS, loadServeConfig } from "../serve/load.ts";
import { adminPasswordLine, listeningLines, movedLine, nextSteps, proxyDisabledSteps } from "../serve/messages.ts";
import { DEFAULT_PROXY_PORT, prepareServe, urlHost, type Prepared } from "../serve/prepare.ts";
import type { ServeConfig } from "../serve/types.ts";
import { VERSION } from "../version.ts";
import { EXIT, type CliIo } from "./io.ts";
import { keepMemoryReducerWorking } from "./memory-reducer.ts";
import { buildMetrics } from "./proxy.ts";

const USAGE = `Usage: kubeward serve [--config FILE] [--state-dir DIR]

Runs the embedded OIDC issuer and the authenticating proxy together. Without
--config: the issuer on https://127.0.0.1:5556, the proxy on https://127.0.0.1:6443
in front of the current kubeconfig's cluster, a local admin user, and
certificates generated in the state directory. See docs/serve.md.

Flags:
${flagLines(SERVE_FLAGS).join("\n")}
`;

/** The proxy and what serves beside it; absent when the proxy part is disabled. */
interface RunningProxy {
  readonly config: ProxyConfig;
  readonly authenticator: TokenAuthenticator;
  readonly server: ProxyServer;
  readonly ops: OpsServers;
}

/** The running parts. */
interface Parts {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly issuer: IssuerPart;
  readonly proxy: RunningProxy | undefined;
  /** Revocations and blocks, over the issuer's storage, enforced by the issuer and the proxy. */
  readonly revocation: RevocationRuntime;
}

function buildProxyPart(config: ProxyConfig, issuer: IssuerPart, logger: Logger, metrics: Metrics, authenticator: TokenAuthenticator, revocation: RevocationGuard): RunningProxy {
  const server = createProxyServer(config, { authenticator, logger, metrics, clock: systemClock, revocation });
  const ops = createOpsServers(config, { metrics, ready: () => issuer.issuer.ready() && server.ready(), logger });
  return { config, authenticator, server, ops };
}

export async function buildParts(config: ServeConfig, prepared: Prepared): Promise<Parts> {
  const level = "config" in prepared.proxy ? prepared.proxy.config.logLevel : String(config.proxy.logLevel?.value ?? "info");
  // Logs go to stderr, so stdout stays the few lines a person reads.
  const logger = createLogger({ level, destination: pino.destination({ dest: 2, sync: true }) });
  const metrics = buildMetrics();
  const proxyConfig = "config" in prepared.proxy ? prepared.proxy.config : undefined;
  const authenticator = proxyConfig && createAuthenticator(proxyConfig.oidc, { clock: systemClock, logger, metrics });
  const revocation = buildServeRevocation(config.revocation?.section, config.revocation?.baseDir ?? config.stateDir, {
    clock: systemClock, logger, metrics, storage: () => issuer.storage, mapping: embeddedMapping(proxyConfig, prepared.issuerUrl), ...(authenticator ? { authenticator } : {}),
  });
  const issuer = await buildIssuerPart(config, prepared, { clock: systemClock, logger, registry: metrics.registry, revocation: revocation.policy });
  const proxy = proxyConfig && authenticator ? buildProxyPart(proxyConfig, issuer, logger, metrics, authenticator, revocation.runtime.guard) : undefined;
  return { logger, metrics, issuer, proxy, revocation: revocation.runtime };
}

/** How to run this kubeward again: `kubeward` when started by that name, else the runtime and the script. */
function selfCommand(): string {
  const script = process.argv[1];
  if (script === undefined || basename(script) === "kubeward") return "kubeward";
  return `${process.execPath} ${resolve(script)}`;
}

/** Starts the proxy, its authenticator and ops servers; says where it listens and whether its port moved. */
async function startProxyPart(p: RunningProxy, config: ServeConfig, logger: Logger): Promise<{ url: string; upstream: string; moved?: string }> {
  p.authenticator.start().catch((e: unknown) => logger.error({ reason: e instanceof Error ? e.message : String(e) }, "authenticator failed to start"));
  const address = await p.server.listen();
  await p.ops.listen();
  const url = `https://${urlHost(address.address)}:${address.port}`;
  const moved = config.proxy.securePort === undefined && address.port !== DEFAULT_PROXY_PORT ? movedLine("proxy", DEFAULT_PROXY_PORT, address.port) : undefined;
  return { url, upstream: p.config.upstream.server, ...(moved !== undefined ? { moved } : {}) };
}

/** Starts the issuer, creates the initial admin once, starts the proxy, then says where everything is and what to do next. */
export async function startParts(config: ServeConfig, prepared: Prepared, parts: Parts, io: CliIo): Promise<void> {
  await startIssuerPart(parts.issuer, prepared.issuerListen);
  await parts.revocation.start();
  const admin = config.initialAdmin;
  if (admin !== undefined) await ensureInitialAdmin(parts.issuer.storage, admin, (password) => io.stdout(adminPasswordLine(admin, password)));
  const proxy = parts.proxy ? await startProxyPart(parts.proxy, config, parts.logger) : undefined;
  const moved = [
    ...(prepared.issuerListen.port !== config.issuerListen.port ? [movedLine("issuer", config.issuerListen.port, prepared.issuerListen.port)] : []),
    ...(proxy?.moved !== undefined ? [proxy.moved] : []),
  ];
  parts.logger.info({ issuer: prepared.issuerUrl, proxy: proxy?.url ?? "disabled", version: VERSION }, "kubeward serve listening");
  io.stdout(listeningLines({ issuerUrl: prepared.issuerUrl, stateDir: config.stateDir, proxy: proxy ?? { disabled: "disabled" in prepared.proxy ? prepared.proxy.disabled : "" }, moved }));
  if (proxy === undefined) {
    io.stdout(proxyDisabledSteps());
    return;
  }
  const issuerCaFile = config.issuerTls ? config.issuerCaFile : prepared.caFile;
  io.stdout(nextSteps({
    kubeward: selfCommand(), issuerUrl: prepared.issuerUrl, proxyUrl: proxy.url, caFile: prepared.caFile, clientId: config.clients[0]?.id ?? "",
    ...(issuerCaFile !== undefined ? { issuerCaFile } : {}), ...(admin ? { admin } : {}),
  }));
}

/** Drains the proxy, stops the ops servers and the authenticator, then the issuer and its storage. */
export async function stopParts(parts: Parts): Promise<void> {
  const grace = parts.proxy?.config.shutdownGracePeriodMs ?? 30_000;
  if (parts.proxy) {
    await parts.proxy.server.close();
    await parts.proxy.ops.close();
    parts.proxy.authenticator.close();
  }
  await parts.revocation.stop();
  await stopIssuerPart(parts.issuer, grace);
}

/** Reports why startup failed: configuration problems (exit 2) one a line, anything else (exit 1) in one line. */
function startupFailure(e: unknown, io: CliIo): number {
  if (e instanceof ConfigError) {
    io.stderr(e.lines().join("\n") + "\n");
    return EXIT.usage;
  }
  if (isKubewardError(e) && e.code === "config_invalid") {
    io.stderr(`kubeward: ${e.detail ?? e.message}\n`);
    return EXIT.usage;
  }
  const detail = isKubewardError(e) && e.detail !== undefined ? ` (${e.detail})` : "";
  io.stderr(`kubeward: startup failed: ${e instanceof Error ? e.message : String(e)}${detail}\n`);
  return EXIT.failed;
}

/** Prepares, builds and starts; a configuration problem exits 2, anything else 1. */
async function serve(config: ServeConfig, io: CliIo): Promise<number> {
  let parts: Parts | undefined;
  try {
    const prepared = await prepareServe(config, io.env);
    parts = await buildParts(config, prepared);
    await startParts(config, prepared, parts, io);
  } catch (e) {
    if (parts) await stopParts(parts).catch(() => undefined);
    return startupFailure(e, io);
  }
  const stopReducer = keepMemoryReducerWorking();
  const signal = await io.shutdownSignal();
  parts.logger.info({ signal }, "shutting down");
  stopReducer();
  await stopParts(parts);
  parts.logger.info("stopped");
  return EXIT.ok;
}

/** Runs `kubeward serve` until a shutdown signal; resolves with the exit code. */
export async function runServe(argv: readonly string[], io: CliIo): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    io.stdout(USAGE);
    return EXIT.ok;
  }
  try {
    return await serve(await loadServeConfig(argv, io.env), io);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    io.stderr(e.lines().join("\n") + "\n");
    return EXIT.usage;
  }
}
