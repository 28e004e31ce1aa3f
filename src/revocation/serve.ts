/**
 * The one call `kubeward serve` makes: revocation parts over the issuer's own
 * storage, plus the issuer-side policy mapping claims as the proxy does, so
 * the proxy and the issuer enforce the same list.
 */
import type { TokenAuthenticator } from "../auth/authenticator.ts";
import { mapGroups, mapUsername, type ClaimMappingConfig } from "../auth/claim-mapping.ts";
import type { Clock } from "../clock.ts";
import { ConfigError, Problems } from "../config/errors.ts";
import type { FileRevocation } from "../config/schema.ts";
import type { ProxyConfig } from "../config/types.ts";
import type { Storage } from "../issuer/storage/storage.ts";
import type { Logger } from "../log/logger.ts";
import type { Metrics } from "../metrics/metrics.ts";
import { resolveRevocation } from "./config.ts";
import { createRevocationPolicy, type RevocationPolicy } from "./policy.ts";
import { buildRevocation, type RevocationRuntime } from "./runtime.ts";

/** The claim mapping serve's proxy applies to the embedded issuer by default. */
export const EMBEDDED_MAPPING: ClaimMappingConfig = { usernameClaim: "email", usernamePrefix: "", groupsClaim: "groups", groupsPrefix: "", requiredClaims: {} };

/** The claim mapping serve's proxy applies to the embedded issuer at `issuerUrl`; {@link EMBEDDED_MAPPING} without a proxy. */
export function embeddedMapping(proxy: ProxyConfig | undefined, issuerUrl: string): ClaimMappingConfig {
  return proxy?.oidc.find((o) => o.issuerUrl === issuerUrl) ?? EMBEDDED_MAPPING;
}

/** What serve passes. */
export interface ServeRevocationDeps {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** The issuer's storage, asked for on start. */
  readonly storage: () => Storage;
  /** The proxy's config for the embedded issuer (its claim mapping); {@link EMBEDDED_MAPPING} when the proxy is disabled. */
  readonly mapping: ClaimMappingConfig;
  /** The proxy's authenticator, for admin tokens; absent when the proxy is disabled. */
  readonly authenticator?: TokenAuthenticator;
}

/** The parts, and the policy to pass to the issuer as `deps.revocation`. */
export interface ServeRevocation {
  readonly runtime: RevocationRuntime;
  readonly policy: RevocationPolicy;
}

/**
 * Builds the revocation parts for serve from `proxy.revocation` (defaults
 * when absent; the storage is always the issuer's). Call `runtime.start()`
 * after the issuer part is built, `runtime.stop()` after the proxy drained.
 *
 * @throws {@link ConfigError} naming each problem of the section.
 * @example
 * const revocation = buildServeRevocation(file.proxy?.revocation, configDir, { clock, logger, metrics, storage: () => issuer.storage, mapping });
 * createIssuer(config, { ...deps, revocation: revocation.policy });
 */
export function buildServeRevocation(section: FileRevocation | undefined, baseDir: string, deps: ServeRevocationDeps): ServeRevocation {
  const problems = new Problems();
  const config = resolveRevocation(section ?? {}, baseDir, problems, false);
  if (config === undefined) throw new ConfigError(problems.list);
  const runtime = buildRevocation(config, deps);
  const toSubject = (claims: Readonly<Record<string, unknown>>) => ({ username: mapUsername(claims, deps.mapping), groups: mapGroups(claims, deps.mapping) });
  return { runtime, policy: createRevocationPolicy(runtime.guard.sync, toSubject, deps.clock) };
}
