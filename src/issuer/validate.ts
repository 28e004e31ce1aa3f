/** Checks the issuer's settings against each other and the connectors, naming the field at fault. */
import { KubewardError } from "../errors.ts";
import type { ResolvedIssuerConfig } from "./config.ts";
import { isPasswordConnector, type Connector } from "./connectors/connector.ts";

const LOOPBACK = new Set(["127.0.0.1", "[::1]", "localhost"]);

function fail(detail: string): never {
  throw new KubewardError("config_invalid", detail);
}

function checkClients(config: ResolvedIssuerConfig): void {
  const ids = new Set<string>();
  for (const [i, c] of config.clients.entries()) {
    if (ids.has(c.id)) fail(`issuer.clients[${i}].id: duplicate ${c.id}`);
    ids.add(c.id);
    if (c.passwordGrant === true && config.passwordConnector === undefined) fail(`issuer.clients[${i}].passwordGrant: needs issuer.passwordConnector`);
    if (c.clientCredentials === true && c.secret === undefined) fail(`issuer.clients[${i}].clientCredentials: a public client cannot use client credentials`);
  }
}

const DURATIONS = ["idTokenTtlMs", "refreshIdleTtlMs", "refreshAbsoluteTtlMs", "keyRotationPeriodMs", "deviceCodeTtlMs", "devicePollIntervalMs"] as const;

/** oidc-provider counts lifetimes in whole seconds, so each must be at least one. */
function checkDurations(config: ResolvedIssuerConfig): void {
  for (const name of DURATIONS) {
    if (!Number.isFinite(config[name]) || config[name] < 1_000) fail(`issuer.${name}: must be at least 1 s`);
  }
  if (!Number.isFinite(config.refreshReuseGraceMs) || config.refreshReuseGraceMs < 0) fail("issuer.refreshReuseGraceMs: must not be negative");
  if (config.refreshIdleTtlMs > config.refreshAbsoluteTtlMs) fail("issuer.refreshIdleTtlMs: must not exceed refreshAbsoluteTtlMs");
}

/**
 * @throws {@link KubewardError} `config_invalid` with the field and the reason.
 */
export function validateIssuerSetup(config: ResolvedIssuerConfig, connectors: ReadonlyMap<string, Connector>): void {
  const url = URL.parse(config.issuerURL);
  if (url === null) fail(`issuer.issuerURL: not a URL: ${config.issuerURL}`);
  if (url.protocol !== "https:" && !(url.protocol === "http:" && LOOPBACK.has(url.hostname))) fail("issuer.issuerURL: must be https (http only on loopback)");
  if (url.search !== "" || url.hash !== "") fail("issuer.issuerURL: must not have a query or fragment");
  checkClients(config);
  checkDurations(config);
  if (config.secretKeys !== undefined && (config.secretKeys.length === 0 || config.secretKeys.some((k) => k.length < 32))) {
    fail("issuer.secretKeys: give at least one key, each of 32 or more characters");
  }
  const pc = config.passwordConnector;
  if (pc !== undefined) {
    const connector = connectors.get(pc);
    if (connector === undefined || !isPasswordConnector(connector)) fail(`issuer.passwordConnector: ${pc} is not a configured password connector`);
  }
  for (const c of connectors.values()) {
    if (c.type === "mock" && !config.allowMockConnector) fail(`connectors: ${c.id} is a mock connector, which needs issuer.allowMockConnector (development only)`);
  }
}
