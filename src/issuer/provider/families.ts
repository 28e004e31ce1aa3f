/**
 * Login records: one RefreshFamily per oidc-provider Grant (same id), holding
 * the identity the connector vouched for. Refresh tokens of the grant form the
 * family; revoking it revokes the grant and every token issued under it.
 */
import type { Identity, Scopes } from "../connectors/connector.ts";
import type { RefreshFamily } from "../storage/entities.ts";
import type { Storage } from "../storage/storage.ts";

/** What a family keeps in its `connectorData`. */
interface FamilyData {
  readonly identity: Identity;
}

/** The identity stored in `family`, or undefined when the record is unreadable. */
export function familyIdentity(family: RefreshFamily): Identity | undefined {
  if (family.connectorData === undefined) return undefined;
  try {
    const data = JSON.parse(family.connectorData) as Partial<FamilyData>;
    return typeof data.identity?.userID === "string" ? data.identity : undefined;
  } catch {
    return undefined;
  }
}

/** The fields of a new login record. */
export interface NewFamily {
  readonly grantId: string;
  readonly subject: string;
  readonly connectorId: string;
  readonly identity: Identity;
  readonly now: number;
  readonly absoluteTtlMs: number;
}

/** Stores the login record for a new grant. */
export async function createFamily(storage: Storage, f: NewFamily): Promise<void> {
  await storage.createRefreshFamily({
    id: f.grantId,
    subject: f.subject,
    connectorId: f.connectorId,
    connectorData: JSON.stringify({ identity: f.identity } satisfies FamilyData),
    createdAt: f.now,
    lastUsedAt: f.now,
    revoked: false,
    expiresAt: f.now + f.absoluteTtlMs,
  });
}

/** Records a refresh: the connector's current view of the user, and the time. */
export async function touchFamily(storage: Storage, id: string, identity: Identity, now: number): Promise<void> {
  await storage.updateRefreshFamily(id, (f) => ({
    ...f, lastUsedAt: now, connectorData: JSON.stringify({ identity } satisfies FamilyData),
  }));
}

const GRANT_MODELS = ["RefreshToken", "AccessToken", "AuthorizationCode", "DeviceCode"] as const;

/** Ends a family: marks it revoked, deletes the grant and every token issued under it. */
export async function revokeFamily(storage: Storage, grantId: string): Promise<void> {
  await storage.updateRefreshFamily(grantId, (f) => ({ ...f, revoked: true }));
  for (const model of GRANT_MODELS) await storage.revokeByGrantId(model, grantId);
  await storage.destroyObject("Grant", grantId);
}

/** The connector-facing scopes of a space-separated scope string. */
export function scopesOf(scope: string | undefined): Scopes {
  const set = new Set((scope ?? "").split(" "));
  return { offlineAccess: set.has("offline_access"), groups: set.has("groups") };
}
