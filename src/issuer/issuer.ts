/**
 * The embedded OIDC issuer (Dex's role): oidc-provider for the protocol, and
 * kubeward's keys, login pages, connectors, refresh families and grant types
 * plugged into its seams. `createIssuer` wires the parts; `handler` serves them.
 */
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Provider } from "oidc-provider";
import type { Registry } from "prom-client";
import type { Clock } from "../clock.ts";
import { KubewardError } from "../errors.ts";
import type { Logger } from "../log/logger.ts";
import { resolveIssuerConfig, type IssuerConfig, type ResolvedIssuerConfig } from "./config.ts";
import type { Connector } from "./connectors/connector.ts";
import { createIssuerMetrics } from "./metrics.ts";
import { createDocuments, type Documents } from "./provider/documents.ts";
import { buildProvider, type ProviderParts } from "./provider/build-provider.ts";
import { syncClients } from "./provider/clients.ts";
import { createSealer } from "./provider/sealing.ts";
import { createSigner, type Signer } from "./signer/signer.ts";
import type { Storage } from "./storage/storage.ts";
import type { RevocationPolicy } from "../revocation/policy.ts";
import { createCsrf } from "./web/csrf.ts";
import { handleWebRoute } from "./web/router.ts";
import type { WebDeps } from "./web/context.ts";
import { providerParts } from "./wiring.ts";
import { validateIssuerSetup } from "./validate.ts";

/** What the issuer runs on. */
export interface IssuerDeps {
  readonly storage: Storage;
  /** Connectors by id, opened by the caller (and closed by it). */
  readonly connectors: ReadonlyMap<string, Connector>;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Where the issuer's counters go; none when absent. */
  readonly metrics?: Registry;
  /** Revocations and blocks: asked before any token is issued for a login (see src/revocation/policy.ts). */
  readonly revocation?: RevocationPolicy;
}

/** A running issuer. */
export interface Issuer {
  /** A node request listener serving everything under the issuer URL's path. */
  readonly handler: (req: IncomingMessage, res: ServerResponse) => void;
  readonly issuerUrl: string;
  /** Syncs clients, loads or creates keys, builds the provider and starts key maintenance. */
  start(): Promise<void>;
  /** Stops key maintenance. The storage and connectors stay open: they are the caller's. */
  close(): Promise<void>;
  /** True once keys are loaded and the provider serves. */
  ready(): boolean;
  /** Rotates keys when due and collects expired storage records; the issuer also runs this every minute. */
  maintain(): Promise<void>;
}

function pathPrefix(config: ResolvedIssuerConfig): string {
  return new URL(config.issuerURL).pathname.replace(/\/+$/, "");
}

/** Serves `req` with the provider, mounted under `prefix` the way oidc-provider expects (originalUrl kept). */
function serveProvider(callback: ReturnType<Provider["callback"]>, prefix: string, req: IncomingMessage, res: ServerResponse): void {
  const url = req.url ?? "/";
  if (prefix !== "") {
    if (!url.startsWith(prefix)) {
      res.writeHead(404).end();
      return;
    }
    (req as IncomingMessage & { originalUrl?: string }).originalUrl = url;
    req.url = url.slice(prefix.length) || "/";
  }
  callback(req, res);
}

/** The provider serving now, and its discovery and JWKS answers kept in memory. */
interface Current {
  readonly provider: Provider;
  readonly callback: ReturnType<Provider["callback"]>;
  readonly documents: Documents;
}

/** The provider serving now; rebuilt from the same parts when the published keys change. */
interface Serving {
  current(): Current | undefined;
  rebuild(): void;
}

function serving(parts: ProviderParts, logger: Logger): Serving {
  let current: Current | undefined;
  return {
    current: () => current,
    rebuild() {
      const provider = buildProvider(parts);
      const documents = createDocuments();
      provider.use((ctx, next) => documents.capture(ctx, next));
      provider.on("server_error", (_ctx, err) => logger.error({ detail: String(err) }, "oidc-provider server error"));
      current = { provider, callback: provider.callback(), documents };
    },
  };
}

/** The request listener: kubeward's pages first, then oidc-provider; 503 before start. */
function requestListener(web: WebDeps, live: Serving, logger: Logger) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const now = live.current();
    if (now === undefined) {
      res.writeHead(503, { "content-type": "application/json" }).end(JSON.stringify({ error: "temporarily_unavailable" }));
      return;
    }
    if (now.documents.serve(req, res)) return;
    handleWebRoute(web, req, res).then((handled) => {
      if (!handled) serveProvider(now.callback, web.prefix, req, res);
    }, (e: unknown) => {
      logger.error({ detail: String(e) }, "issuer request failed");
      if (!res.headersSent) res.writeHead(500).end();
    });
  };
}

/**
 * Creates the issuer. Nothing is served until {@link Issuer.start} resolves.
 *
 * @example
 * const issuer = createIssuer(config, { storage, connectors, clock: systemClock, logger });
 * await issuer.start();
 * https.createServer(tls, issuer.handler).listen(5556);
 */
export function createIssuer(input: IssuerConfig, deps: IssuerDeps): Issuer {
  const config = resolveIssuerConfig(input);
  validateIssuerSetup(config, deps.connectors);
  const logger = deps.logger.child({ component: "issuer" });
  const prefix = pathPrefix(config);
  const secretKeys = config.secretKeys ?? [randomBytes(32).toString("base64url")];
  const sealer = createSealer(secretKeys);
  const metrics = createIssuerMetrics(deps.metrics, [...deps.connectors.keys()]);
  const signer: Signer = createSigner({
    store: deps.storage, clock: deps.clock, alg: config.signingAlg,
    rotationPeriodMs: config.keyRotationPeriodMs, tokenLifetimeMs: config.idTokenTtlMs + 60_000,
  });
  const live = serving(providerParts({ config, deps: { ...deps, logger }, signer, metrics, secretKeys, sealer, prefix }), logger);
  const web: WebDeps = {
    provider: () => {
      const now = live.current();
      if (now === undefined) throw new KubewardError("internal", "issuer not started");
      return now.provider;
    },
    config, connectors: deps.connectors, storage: deps.storage, clock: deps.clock, logger, metrics,
    csrf: createCsrf(secretKeys[0] ?? ""), sealer, page: { theme: config.theme, stylesheetURL: `${prefix}/theme.css` }, prefix,
    ...(deps.revocation === undefined ? {} : { revocation: deps.revocation }),
  };
  const maintain = async (): Promise<void> => {
    if (await signer.maintain()) live.rebuild();
    await deps.storage.gc(deps.clock.now());
  };
  let timer: NodeJS.Timeout | undefined;
  return {
    issuerUrl: config.issuerURL,
    handler: requestListener(web, live, logger),
    async start() {
      await syncClients(deps.storage, config.clients);
      await maintain();
      if (live.current() === undefined) live.rebuild();
      timer = setInterval(() => {
        maintain().catch((e: unknown) => logger.error({ detail: String(e) }, "issuer key maintenance failed"));
      }, 60_000);
      timer.unref();
    },
    async close() {
      clearInterval(timer);
      timer = undefined;
    },
    ready: () => live.current() !== undefined,
    maintain,
  };
}
