/** Assembles the parts oidc-provider is built from: adapter, accounts, pages, grants and middleware. */
import type { Clock } from "../clock.ts";
import type { Logger } from "../log/logger.ts";
import type { RevocationPolicy } from "../revocation/policy.ts";
import type { ResolvedIssuerConfig } from "./config.ts";
import { isPasswordConnector, type Connector } from "./connectors/connector.ts";
import { passwordGrant, PASSWORD_GRANT_PARAMS } from "./grants/password.ts";
import { tokenExchangeGrant, TOKEN_EXCHANGE_PARAMS } from "./grants/token-exchange.ts";
import type { IssuerMetrics } from "./metrics.ts";
import { createFindAccount } from "./provider/accounts.ts";
import { issuerAdapter } from "./provider/adapter.ts";
import type { ExtraGrant, ProviderParts } from "./provider/build-provider.ts";
import { clientMetadata, createSecretVerifier, TOKEN_EXCHANGE_GRANT } from "./provider/clients.ts";
import { createDevicePolling } from "./provider/device-polling.ts";
import { revokeFamily } from "./provider/families.ts";
import { offlineAccessConsent } from "./provider/offline-access.ts";
import { tokenResponseMiddleware } from "./provider/token-response.ts";
import type { Sealer } from "./provider/sealing.ts";
import type { Signer } from "./signer/signer.ts";
import type { Storage } from "./storage/storage.ts";
import { providerPages } from "./web/provider-pages.ts";

/** What {@link providerParts} wires. */
export interface WiringInput {
  readonly config: ResolvedIssuerConfig;
  readonly deps: {
    readonly storage: Storage; readonly connectors: ReadonlyMap<string, Connector>; readonly clock: Clock; readonly logger: Logger;
    readonly revocation?: RevocationPolicy;
  };
  readonly signer: Signer;
  readonly metrics: IssuerMetrics;
  readonly secretKeys: readonly string[];
  readonly sealer: Sealer;
  readonly prefix: string;
}

function grants(w: WiringInput): ExtraGrant[] {
  const { config, deps } = w;
  const out: ExtraGrant[] = [{
    name: TOKEN_EXCHANGE_GRANT, params: TOKEN_EXCHANGE_PARAMS,
    handler: tokenExchangeGrant({ issuerURL: config.issuerURL, signer: w.signer, clock: deps.clock, clients: config.clients, idTokenTtlMs: config.idTokenTtlMs }),
  }];
  const connector = config.passwordConnector === undefined ? undefined : deps.connectors.get(config.passwordConnector);
  if (connector !== undefined && isPasswordConnector(connector)) {
    out.push({
      name: "password", params: PASSWORD_GRANT_PARAMS,
      handler: passwordGrant({ connector, storage: deps.storage, clock: deps.clock, logger: deps.logger, metrics: w.metrics, clients: config.clients, refreshAbsoluteTtlMs: config.refreshAbsoluteTtlMs, sealer: w.sealer,
        ...(deps.revocation === undefined ? {} : { revocation: deps.revocation }) }),
    });
  }
  return out;
}

/** The parts of the provider, built once; the provider itself is rebuilt from them on key changes. */
export function providerParts(w: WiringInput): ProviderParts {
  const { config, deps, signer } = w;
  const adapter = issuerAdapter({
    storage: deps.storage, clock: deps.clock, reuseGraceMs: config.refreshReuseGraceMs,
    deviceCodeRetentionMs: Math.max(config.deviceCodeTtlMs, 600_000),
    polling: createDevicePolling(deps.clock, config.devicePollIntervalMs),
    async client(id) {
      const stored = await deps.storage.getClient(id);
      if (stored === undefined) return undefined;
      return clientMetadata(stored, config.clients.find((c) => c.id === id), {
        all: config.clients, alg: signer.active().alg, passwordGrant: config.passwordConnector !== undefined,
      });
    },
    async onReuse(grantId) {
      w.metrics.refreshReuse();
      deps.logger.warn({ family: grantId }, "refresh token reused after rotation: family revoked");
      await revokeFamily(deps.storage, grantId);
    },
  });
  const pageCtx = { theme: config.theme, stylesheetURL: `${w.prefix}/theme.css` };
  return {
    config, signer, adapter, cookieKeys: w.secretKeys, prefix: w.prefix,
    findAccount: createFindAccount({ ...deps, sealer: w.sealer }),
    pages: providerPages(config.theme, pageCtx),
    grants: grants(w),
    middleware: [offlineAccessConsent, tokenResponseMiddleware({ signer, clients: config.clients, metrics: w.metrics, devicePollIntervalMs: config.devicePollIntervalMs })],
    verifySecret: createSecretVerifier(),
  };
}
