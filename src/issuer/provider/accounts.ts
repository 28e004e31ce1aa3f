/**
 * oidc-provider's `findAccount`: the claims of a subject come from the login
 * record of the grant the token belongs to; on a refresh the connector is asked
 * again (current groups), and a refusal ends the family.
 */
import type { OidcModel } from "oidc-provider";
import type { Clock } from "../../clock.ts";
import type { Logger } from "../../log/logger.ts";
import type { RevocationPolicy } from "../../revocation/policy.ts";
import { isRefreshConnector, type Connector, type Identity } from "../connectors/connector.ts";
import type { Storage } from "../storage/storage.ts";
import { familyIdentity, revokeFamily, scopesOf, touchFamily } from "./families.ts";
import type { Sealer } from "./sealing.ts";

/** What oidc-provider expects back from `findAccount`. */
export interface OidcAccount {
  readonly accountId: string;
  claims(): Record<string, unknown>;
}

/** What {@link createFindAccount} needs. */
export interface AccountDeps {
  readonly storage: Storage;
  readonly connectors: ReadonlyMap<string, Connector>;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly sealer: Sealer;
  /** Asked before any token is issued for a login; a refusal ends the family (invalid_grant). */
  readonly revocation?: RevocationPolicy;
}

/** The standard claims of an identity; oidc-provider keeps those the granted scopes allow. */
export function identityClaims(sub: string, identity: Identity): Record<string, unknown> {
  return {
    sub,
    name: identity.username,
    preferred_username: identity.preferredUsername ?? identity.username,
    ...(identity.email === undefined ? {} : { email: identity.email, email_verified: identity.emailVerified ?? false }),
    groups: [...identity.groups],
  };
}

function account(sub: string, identity: Identity | undefined): OidcAccount {
  return { accountId: sub, claims: () => (identity === undefined ? { sub } : identityClaims(sub, identity)) };
}

/** Asks a refresh connector for the user's current identity; undefined (and the family ended) when it refuses. */
async function refreshed(deps: AccountDeps, grantId: string, connectorId: string, identity: Identity, scope: string | undefined): Promise<Identity | undefined> {
  const connector = deps.connectors.get(connectorId);
  if (connector === undefined) {
    deps.logger.warn({ connector: connectorId }, "refresh refused: the connector is no longer configured");
    await revokeFamily(deps.storage, grantId);
    return undefined;
  }
  if (!isRefreshConnector(connector)) return identity;
  try {
    return await connector.refresh(scopesOf(scope), identity);
  } catch (e) {
    deps.logger.info({ connector: connectorId, reason: (e as { code?: string }).code ?? "error" }, "refresh refused by the connector; family revoked");
    await revokeFamily(deps.storage, grantId);
    return undefined;
  }
}

/**
 * Builds `findAccount(ctx, sub, token)`. Without a token (session checks) the
 * account carries only `sub`; with one, the grant's login record supplies the
 * claims, and a revoked or expired record means "no such account".
 */
export function createFindAccount(deps: AccountDeps) {
  return async (_ctx: unknown, sub: string, token?: OidcModel): Promise<OidcAccount | undefined> => {
    const grantId = token?.grantId;
    if (grantId === undefined) return account(sub, undefined);
    const family = await deps.storage.getRefreshFamily(grantId);
    const now = deps.clock.now();
    if (family === undefined || family.revoked || (family.expiresAt !== undefined && family.expiresAt <= now)) return undefined;
    let identity = familyIdentity(family, deps.sealer);
    if (identity === undefined || family.subject !== sub) return undefined;
    const refusal = deps.revocation?.refusal(identityClaims(sub, identity), family.createdAt);
    if (refusal !== undefined) {
      deps.logger.info({ family: grantId, kind: refusal.kind, revocation: refusal.id }, `token refused: login ${refusal.effect}; family revoked`);
      await revokeFamily(deps.storage, grantId);
      return undefined;
    }
    if (token?.kind === "RefreshToken") {
      identity = await refreshed(deps, grantId, family.connectorId, identity, token.scope);
      if (identity === undefined) return undefined;
      await touchFamily(deps.storage, deps.sealer, grantId, identity, now);
    }
    return account(sub, identity);
  };
}
