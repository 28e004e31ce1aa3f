/**
 * Turns the raw serving, identity and process settings into the non-OIDC,
 * non-upstream part of {@link ProxyConfig}, checking every value.
 */
import type { Problems } from "./errors.ts";
import { DEFAULTS } from "./flag-table.ts";
import { checkKeyPair, readSettingFile } from "./pem.ts";
import type { Settings } from "./settings.ts";
import type { ListenAddress, ProxyConfig } from "./types.ts";
import {
  parseDuration, parseExtras, parseHeaderBytes, parseHostPort, parseIpAddress, parseLogLevel, parsePort, type Setting,
} from "./values.ts";

/** The part of ProxyConfig this module builds. */
export type ServingConfig = Omit<ProxyConfig, "oidc" | "upstream">;

function orDefault<T>(s: Setting<T> | undefined, value: T, flag: string): Setting<T> {
  return s ?? { value, path: flag };
}

function required(s: Setting<string> | undefined, flag: string, field: string, fileInUse: boolean, problems: Problems): Setting<string> | undefined {
  if (!s) problems.add(flag, `required${fileInUse ? ` (or ${field} in the config file)` : ""}`);
  return s;
}

async function checkTls(s: Settings, fileInUse: boolean, problems: Problems): Promise<void> {
  const cert = required(s.tlsCertFile, "--tls-cert-file", "tlsCertFile", fileInUse, problems);
  const key = required(s.tlsPrivateKeyFile, "--tls-private-key-file", "tlsPrivateKeyFile", fileInUse, problems);
  const certPem = cert && (await readSettingFile(cert, problems));
  const keyPem = key && (await readSettingFile(key, problems));
  if (cert && key && certPem !== undefined && keyPem !== undefined) checkKeyPair(certPem, keyPem, cert, key, problems);
}

/** The three listeners must not ask for the same port on overlapping addresses. */
function checkPortClash(listen: ListenAddress | undefined, metrics: ListenAddress | undefined, probe: number | undefined, s: Settings, problems: Problems): void {
  const securePath = s.securePort?.path ?? "--secure-port";
  const probePath = s.readinessProbePort?.path ?? "--readiness-probe-port";
  if (listen && probe === listen.port) problems.add(probePath, `must differ from ${securePath} (both ${probe})`);
  if (!metrics || !s.metricsServingAddress) return;
  const overlaps = listen === undefined || [listen.host, metrics.host].some((h) => h === "0.0.0.0" || h === "::") || listen.host === metrics.host;
  if (listen && overlaps && metrics.port === listen.port) problems.add(s.metricsServingAddress.path, `uses the same port as ${securePath} (${listen.port})`);
  if (metrics.port === probe) problems.add(s.metricsServingAddress.path, `uses the same port as ${probePath} (${probe})`);
}

/** Everything but issuers and upstream; undefined when a problem was recorded. */
export async function resolveServing(s: Settings, fileInUse: boolean, problems: Problems): Promise<ServingConfig | undefined> {
  const before = problems.list.length;
  const port = parsePort(orDefault(s.securePort, DEFAULTS.securePort, "--secure-port"), problems);
  const host = parseIpAddress(orDefault(s.bindAddress, DEFAULTS.bindAddress, "--bind-address"), problems);
  await checkTls(s, fileInUse, problems);
  const metricsListen = s.metricsServingAddress && parseHostPort(s.metricsServingAddress, problems);
  const probe = parsePort(orDefault(s.readinessProbePort, DEFAULTS.readinessProbePort, "--readiness-probe-port"), problems, true);
  const flushIntervalMs = parseDuration(orDefault(s.flushInterval, DEFAULTS.flushInterval, "--flush-interval"), problems, true);
  const extraUserHeaders = parseExtras(orDefault(s.extraUserHeaders, {}, "--extra-user-headers"), problems);
  const shutdownGracePeriodMs = parseDuration(orDefault(s.shutdownGracePeriod, DEFAULTS.shutdownGracePeriod, "--shutdown-grace-period"), problems);
  const maxHeaderSize = parseHeaderBytes(orDefault(s.maxRequestHeaderBytes, DEFAULTS.maxRequestHeaderBytes, "--max-request-header-bytes"), problems);
  const logLevel = parseLogLevel(orDefault(s.logLevel, DEFAULTS.logLevel, "--log-level"), problems);
  const listen = host !== undefined && port !== undefined ? { host, port } : undefined;
  const readinessProbePort = probe === 0 ? undefined : probe;
  checkPortClash(listen, metricsListen, readinessProbePort, s, problems);
  if (problems.list.length > before || !listen || !s.tlsCertFile || !s.tlsPrivateKeyFile) return undefined;
  if (flushIntervalMs === undefined || !extraUserHeaders || shutdownGracePeriodMs === undefined || maxHeaderSize === undefined || !logLevel) return undefined;
  return {
    listen,
    tlsCertFile: s.tlsCertFile.value,
    tlsPrivateKeyFile: s.tlsPrivateKeyFile.value,
    ...(metricsListen ? { metricsListen } : {}),
    ...(readinessProbePort !== undefined ? { readinessProbePort } : {}),
    flushIntervalMs,
    extraUserHeaders,
    extraUserHeaderClientIp: s.extraUserHeaderClientIP?.value ?? false,
    allowReservedIdentities: s.allowReservedIdentities?.value ?? false,
    shutdownGracePeriodMs,
    maxHeaderSize,
    logLevel,
  };
}
