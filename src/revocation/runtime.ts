/**
 * Builds the revocation parts from the resolved config: the guard the proxy
 * checks, the service, and the admin API when configured. Storage is opened
 * on start (or given, when `kubeward serve` shares the issuer's).
 */
import { readFile } from "node:fs/promises";
import type { Authentication, TokenAuthenticator } from "../auth/authenticator.ts";
import { checkRevocation, subjectOf } from "../proxy/stages/revocation.ts";
import type { KubewardError } from "../errors.ts";
import type { Clock } from "../clock.ts";
import type { AdminConfig, RevocationConfig } from "../config/types.ts";
import { createAdminServer, type AdminServer } from "../admin/server.ts";
import { openStorage } from "../issuer/storage/registry.ts";
import type { RevocationStore, Storage } from "../issuer/storage/storage.ts";
import type { Logger } from "../log/logger.ts";
import type { Metrics } from "../metrics/metrics.ts";
import { RevocationGuard } from "./guard.ts";
import { RevocationService } from "./service.ts";

/** What the parts run on. */
export interface RuntimeDeps {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Verifies admin tokens (the proxy's own authenticator); without it the admin API takes client certificates only. */
  readonly authenticator?: TokenAuthenticator;
  /**
   * The storage to share, asked for on start (serve: the issuer's, opened
   * after these parts are built); otherwise `config.sqliteFile` is opened on
   * start and closed on stop.
   */
  readonly storage?: () => Storage;
}

/** The revocation parts of one process. */
export interface RevocationRuntime {
  readonly guard: RevocationGuard;
  readonly service: RevocationService;
  /** Opens storage, loads the list, starts polling and the admin API. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * @example
 * const revocation = buildRevocation(config.revocation, { clock, logger, metrics, authenticator });
 * const proxy = createProxyServer(config, { ...deps, revocation: revocation.guard });
 * await revocation.start();
 */
export function buildRevocation(config: RevocationConfig, deps: RuntimeDeps): RevocationRuntime {
  let opened: Promise<Storage> | undefined;
  const storage = (): Promise<Storage> => {
    if (deps.storage !== undefined) return Promise.resolve(deps.storage());
    if (config.sqliteFile === undefined) return Promise.reject(new Error("revocation.sqliteFile is not set"));
    return (opened ??= openStorage({ type: "sqlite", config: { file: config.sqliteFile } }, { clock: deps.clock }));
  };
  const store = lazyStore(storage);
  const guard = new RevocationGuard({
    store, clock: deps.clock, logger: deps.logger, metrics: deps.metrics,
    mode: config.lockingMode, staleAfterMs: config.staleAfterMs, pollIntervalMs: config.pollIntervalMs,
  });
  const service = new RevocationService({ store, clock: deps.clock, logger: deps.logger, maxTokenAgeMs: config.maxTokenAgeMs, onChange: () => guard.sync.refresh() });
  let admin: AdminServer | undefined;
  return {
    guard, service,
    async start() {
      await storage();
      await guard.start();
      if (config.admin === undefined) return;
      const revoked = adminTokenRevoked(guard, deps);
      admin = createAdminServer({ ...await adminServerConfig(config.admin, deps.authenticator), revoked }, { service, logger: deps.logger });
      const address = await admin.listen();
      deps.logger.info({ address: `${address.address}:${address.port}` }, "kubeward admin API listening");
    },
    async stop() {
      guard.stop();
      await admin?.close();
      if (opened !== undefined) await (await opened).close();
    },
  };
}

/**
 * The admin API's check of an authenticated token: true when it is revoked or
 * blocked (or the list is stale under failClosed). Counts the attempt once, as
 * the proxy counts a request's, since the authenticator counts only its refusals.
 */
export function adminTokenRevoked(guard: RevocationGuard, deps: { logger: Logger; metrics: Metrics }): (auth: Authentication) => boolean {
  return (auth) => {
    try {
      checkRevocation(guard, subjectOf(auth), deps);
    } catch (err) {
      deps.metrics.authentications.inc({ result: "failure", reason: (err as KubewardError).code });
      return true;
    }
    deps.metrics.authentications.inc({ result: "success", reason: "ok" });
    return false;
  };
}

async function adminServerConfig(a: AdminConfig, authenticator: TokenAuthenticator | undefined) {
  return {
    listen: a.listen, certPem: await readFile(a.tlsCertFile, "utf8"), keyPem: await readFile(a.tlsPrivateKeyFile, "utf8"),
    ...(a.clientCaFile === undefined ? {} : { clientCaPem: await readFile(a.clientCaFile, "utf8") }),
    ...(a.adminGroup === undefined || authenticator === undefined ? {} : { authenticator, adminGroup: a.adminGroup }),
  };
}

/** A store whose backend is opened on first use. */
function lazyStore(open: () => Promise<RevocationStore>): RevocationStore {
  return {
    listRevocations: async () => (await open()).listRevocations(),
    getRevocation: async (id) => (await open()).getRevocation(id),
    createRevocation: async (r) => (await open()).createRevocation(r),
    deleteRevocation: async (id) => (await open()).deleteRevocation(id),
    revocationStamp: async () => (await open()).revocationStamp(),
  };
}
