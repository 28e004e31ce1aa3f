/**
 * Login records: one RefreshFamily per oidc-provider Grant (same id), holding
 * the identity the connector vouched for. Refresh tokens of the grant form the
 * family; revoking it revokes the grant and every token issued under it.
 */
import type { Identity, Scopes } from "../connectors/connector.ts";
import type { RefreshFamily } from "../storage/entities.ts";
import type { Storage } from "../storage/storage.ts";
import type { Sealer } from "./sealing.ts";

/** What a family keeps in its `connectorData`: the identity, its connector's own data sealed. */
interface FamilyData {
  readonly identity: Omit<Identity, "connectorData">;
  readonly sealed?: string;
}

function familyData(identity: Identity, sealer: Sealer): string {
  const { connectorData, ...rest } = identity;
  return JSON.stringify({ identity: rest, ...(connectorData === undefined ? {} : { sealed: sealer.seal(connectorData) }) } satisfies FamilyData);
}

/** The identity stored in `family`, or undefined when the record is unreadable. */
export function familyIdentity(family: RefreshFamily, sealer: Sealer): Identity | undefined {
  if (family.connectorData === undefined) return undefined;
  try {
    const data = JSON.parse(family.connectorData) as Partial<FamilyData>;
    if (typeof data.identity?.userID !== "string") return undefined;
    const connectorData = data.sealed === undefined ? undefined : sealer.open(data.sealed);
    return connectorData === undefined ? data.identity : { ...data.identity, connectorData };
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
  readonly sealer: Sealer;
}

/** Stores the login record for a new grant. */
export async function createFamily(storage: Storage, f: NewFamily): Promise<void> {
  await storage.createRefreshFamily({
    id: f.grantId,
    subject: f.subject,
    connectorId: f.connectorId,
    connectorData: familyData(f.identity, f.sealer),
    createdAt: f.now,
    lastUsedAt: f.now,
    revoked: false,
    expiresAt: f.now + f.absoluteTtlMs,
  });
}

/** Records a refresh: the connector's current view of the user, and the time. */
export async function touchFamily(storage: Storage, sealer: Sealer, id: string, identity: Identity, now: number): Promise<void> {
  const connectorData = familyData(identity, sealer);
  await storage.updateRefreshFamily(id, (f) => ({ ...f, lastUsedAt: now, connectorData }));
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
