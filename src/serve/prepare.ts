/**
 * Everything `kubeward serve` settles before it opens anything: the state
 * directory and its secret, the ports, the issuer URL, the generated
 * certificates, and the proxy part's config.
 */
import { hostname } from "node:os";
import { isIP } from "node:net";
import { ConfigError, Problems } from "../config/errors.ts";
import type { ListenAddress } from "../config/types.ts";
import { ensureCa, ensureServingCert, type CertFiles } from "./pki.ts";
import { pickPort } from "./ports.ts";
import { resolveProxyPart, type ProxyPart } from "./proxy-part.ts";
import { ensureStateDir, loadRememberedPorts, loadSecretKeys, rememberPorts } from "./state-dir.ts";
import type { ServeConfig } from "./types.ts";

/** Where the proxy listens unless `proxy.securePort` says (another free port when taken). */
export const DEFAULT_PROXY_PORT = 6443;

const LOOPBACK = ["127.0.0.1", "::1", "localhost"];

/** What serve runs with, once the state directory is ready. */
export interface Prepared {
  readonly issuerUrl: string;
  readonly issuerListen: ListenAddress;
  readonly issuerCert: CertFiles;
  /** The state directory's CA, which signed the generated certificates. */
  readonly caFile: string;
  readonly secretKeys: readonly string[];
  readonly proxy: ProxyPart;
}

/** A bound address as a URL host: the wildcard addresses become loopback, IPv6 gets brackets. */
export function urlHost(host: string): string {
  if (host === "0.0.0.0" || host === "::") return "127.0.0.1";
  return isIP(host) === 6 ? `[${host}]` : host;
}

function serviceHosts(extra: readonly string[]): string[] {
  const hosts = extra.map((h) => h.replace(/^\[|\]$/g, "")).filter((h) => h !== "0.0.0.0" && h !== "::" && h !== "");
  return [...new Set([...LOOPBACK, hostname(), ...hosts])];
}

/**
 * Prepares the state directory and settles the ports, URL, certificates and
 * proxy config.
 *
 * @throws {@link ConfigError} when the proxy section does not resolve.
 */
export async function prepareServe(config: ServeConfig, env: NodeJS.ProcessEnv): Promise<Prepared> {
  await ensureStateDir(config.stateDir);
  const secretKeys = await loadSecretKeys(config.stateDir);
  const remembered = await loadRememberedPorts(config.stateDir);
  const movable = config.issuerListen.movable;
  const issuerPort = await pickPort({ host: config.issuerListen.host, port: (movable ? remembered.issuer : undefined) ?? config.issuerListen.port }, movable);
  const issuerListen = { host: config.issuerListen.host, port: issuerPort };
  const issuerUrl = config.issuerUrl ?? `https://${urlHost(issuerListen.host)}:${issuerPort}`;
  const { ca, caFile } = await ensureCa(config.stateDir);
  const issuerCert = config.issuerTls ?? await ensureServingCert(config.stateDir, "issuer", ca, serviceHosts([new URL(issuerUrl).hostname, issuerListen.host]));
  const proxySettings = config.proxy;
  const port = proxySettings.securePort === undefined ? await pickPort({ host: String(proxySettings.bindAddress?.value ?? "127.0.0.1"), port: remembered.proxy ?? DEFAULT_PROXY_PORT }, true) : undefined;
  await rememberPorts(config.stateDir, { ...(movable ? { issuer: issuerPort } : {}), ...(port !== undefined ? { proxy: port } : {}) });
  const cert = proxySettings.tlsCertFile === undefined ? await ensureServingCert(config.stateDir, "proxy", ca, serviceHosts([String(proxySettings.bindAddress?.value ?? "")])) : undefined;
  const problems = new Problems();
  const embedded = { url: issuerUrl, clientId: config.clients[0]?.id ?? "", ...(config.issuerTls ? (config.issuerCaFile !== undefined ? { caFile: config.issuerCaFile } : {}) : { caFile }) };
  const proxy = await resolveProxyPart(config, { ...(port !== undefined ? { port } : {}), ...(cert ? { cert } : {}) }, embedded, env, problems);
  if (!problems.empty || proxy === undefined) throw new ConfigError(problems.list);
  return { issuerUrl, issuerListen, issuerCert, caFile, secretKeys, proxy };
}
