/**
 * The issuer part of `kubeward serve`: storage, connectors and the embedded
 * issuer, served over HTTPS on its own listener.
 */
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import type { Clock } from "../clock.ts";
import { ConfigError, type ConfigProblem } from "../config/errors.ts";
import type { ListenAddress } from "../config/types.ts";
import { createIssuer, type Issuer } from "../issuer/issuer.ts";
import type { Connector } from "../issuer/connectors/connector.ts";
import { openConnector } from "../issuer/connectors/registry.ts";
import { openStorage } from "../issuer/storage/registry.ts";
import type { Storage } from "../issuer/storage/storage.ts";
import type { Logger } from "../log/logger.ts";
import type { RevocationPolicy } from "../revocation/policy.ts";
import type { Prepared } from "./prepare.ts";
import type { ServeConfig } from "./types.ts";

/** The issuer's running pieces; storage and connectors are closed by {@link stopIssuerPart}. */
export interface IssuerPart {
  readonly storage: Storage;
  readonly connectors: ReadonlyMap<string, Connector>;
  readonly issuer: Issuer;
  readonly server: Server;
}

export interface IssuerPartDeps {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly registry: Registry;
  /** Revocations and blocks the issuer enforces (see src/revocation/serve.ts). */
  readonly revocation?: RevocationPolicy;
}

/** Opens every connector; their problems are reported together, and what opened is closed again on failure. */
async function openConnectors(config: ServeConfig, storage: Storage, deps: IssuerPartDeps): Promise<Map<string, Connector>> {
  const opened = new Map<string, Connector>();
  const problems: ConfigProblem[] = [];
  const connectorDeps = { clock: deps.clock, logger: deps.logger, fetch: globalThis.fetch, passwords: storage };
  for (const [i, entry] of config.connectors.entries()) {
    try {
      opened.set(entry.id, await openConnector(entry, connectorDeps, { path: `connectors[${i}]`, allowMock: config.issuer.allowMockConnector === true }));
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      problems.push(...e.problems);
    }
  }
  if (problems.length > 0) {
    await Promise.all([...opened.values()].map((c) => c.close()));
    throw new ConfigError(problems);
  }
  return opened;
}

/** Builds the issuer part; nothing listens yet. */
export async function buildIssuerPart(config: ServeConfig, prepared: Prepared, deps: IssuerPartDeps): Promise<IssuerPart> {
  const storage = await openStorage(config.storage, { clock: deps.clock });
  try {
    const connectors = await openConnectors(config, storage, deps);
    const issuer = createIssuer(
      { ...config.issuer, issuerURL: prepared.issuerUrl, clients: config.clients, secretKeys: prepared.secretKeys },
      { storage, connectors, clock: deps.clock, logger: deps.logger, metrics: deps.registry, ...(deps.revocation ? { revocation: deps.revocation } : {}) },
    );
    const tls = { cert: await readFile(prepared.issuerCert.certFile, "utf8"), key: await readFile(prepared.issuerCert.keyFile, "utf8") };
    return { storage, connectors, issuer, server: createServer(tls, issuer.handler) };
  } catch (e) {
    await storage.close();
    throw e;
  }
}

/** Starts the issuer (clients, keys, maintenance and gc timer) and listens. */
export async function startIssuerPart(part: IssuerPart, at: ListenAddress): Promise<AddressInfo> {
  await part.issuer.start();
  await new Promise<void>((resolve, reject) => {
    part.server.once("error", reject);
    part.server.listen(at.port, at.host, () => {
      part.server.off("error", reject);
      resolve();
    });
  });
  return part.server.address() as AddressInfo;
}

/** Stops listening (open connections end after `graceMs`), then closes the issuer, connectors and storage. */
export async function stopIssuerPart(part: IssuerPart, graceMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => part.server.close(() => resolve()));
  part.server.closeIdleConnections();
  const timer = setTimeout(() => part.server.closeAllConnections(), graceMs);
  await closed;
  clearTimeout(timer);
  await part.issuer.close();
  await Promise.all([...part.connectors.values()].map((c) => c.close()));
  await part.storage.close();
}
