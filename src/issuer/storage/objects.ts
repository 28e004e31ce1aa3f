/**
 * Rules for protocol objects that every backend shares: when one is live, and
 * which payload fields are indexed for lookups.
 */
import type { ProtocolObject } from "./entities.ts";

/** The payload fields backends index, each kept only when it is a string. */
export interface IndexedFields {
  readonly uid?: string;
  readonly userCode?: string;
  readonly grantId?: string;
}

/** The indexed fields of `object`'s payload. */
export function indexedFields(object: ProtocolObject): IndexedFields {
  const { uid, userCode, grantId } = object.payload;
  return {
    ...(typeof uid === "string" ? { uid } : {}),
    ...(typeof userCode === "string" ? { userCode } : {}),
    ...(typeof grantId === "string" ? { grantId } : {}),
  };
}

/** True while `object` has not expired at `now`: expiry is exclusive. */
export function isLive(object: ProtocolObject, now: number): boolean {
  return object.expiresAt === undefined || now < object.expiresAt;
}
