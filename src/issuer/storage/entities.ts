/**
 * The records the issuer keeps: oidc-provider's protocol objects, and the
 * entities kubeward manages itself (clients, passwords, keys, refresh-token
 * families, revocations). All timestamps are epoch milliseconds.
 */
import type { JWK } from "jose";

/** Every model name oidc-provider 9 asks its adapter for. */
export const MODEL_NAMES = [
  "Session",
  "AccessToken",
  "AuthorizationCode",
  "RefreshToken",
  "DeviceCode",
  "ClientCredentials",
  "Client",
  "InitialAccessToken",
  "RegistrationAccessToken",
  "Interaction",
  "ReplayDetection",
  "PushedAuthorizationRequest",
  "Grant",
  "BackchannelAuthenticationRequest",
  "PreAuthorizedCode",
] as const;

/** The name of an oidc-provider model, e.g. `"RefreshToken"`. */
export type ModelName = (typeof MODEL_NAMES)[number];

/** True when `name` is one of {@link MODEL_NAMES}. */
export function isModelName(name: string): name is ModelName {
  return (MODEL_NAMES as readonly string[]).includes(name);
}

/**
 * One oidc-provider protocol object. The payload is opaque JSON to storage,
 * except that `uid`, `userCode` and `grantId` (when strings) are indexed.
 *
 * @example
 * const code: ProtocolObject = {
 *   model: "AuthorizationCode", id: "x1", payload: { grantId: "g1", accountId: "a" },
 *   expiresAt: clock.now() + 60_000,
 * };
 */
export interface ProtocolObject {
  readonly model: ModelName;
  /** The object's id (oidc-provider's `jti`, or the uid/client id it keys on). */
  readonly id: string;
  /** What oidc-provider handed over; must survive a JSON round trip. */
  readonly payload: Readonly<Record<string, unknown>>;
  /** From this moment on the object is gone; absent means it never expires. */
  readonly expiresAt?: number;
  /** When the object was first consumed; absent while unconsumed. */
  readonly consumedAt?: number;
}

/** An OAuth client kubeward serves, configured by the operator. */
export interface Client {
  /** The `client_id`. */
  readonly id: string;
  /** Hash of the client secret; absent for public clients. Never the secret itself. */
  readonly secretHash?: string;
  /** Exact redirect URIs the client may use. */
  readonly redirectURIs: readonly string[];
  /** A public client (kubectl) cannot keep a secret and must use PKCE. */
  readonly public: boolean;
  /** Shown on the login and consent pages. */
  readonly name: string;
  /** Client ids allowed to mint tokens whose audience is this client. */
  readonly trustedPeers: readonly string[];
}

/** A local user of the built-in password connector, keyed by email (case-insensitive). */
export interface PasswordEntry {
  readonly email: string;
  /** bcrypt hash of the password. */
  readonly hash: string;
  readonly username: string;
  /** Stable user id; becomes the `sub` claim. */
  readonly userID: string;
  readonly groups: readonly string[];
}

/**
 * Where a signing key is in its rotation: published before use (`next`),
 * signing (`active`), or kept only to verify tokens it signed (`retired`).
 */
export type SigningKeyState = "next" | "active" | "retired";

/** A key the issuer signs tokens with, keyed by `kid`. */
export interface SigningKey {
  readonly kid: string;
  /** JWS algorithm, e.g. `"RS256"` or `"ES256"`. */
  readonly alg: string;
  /** The private key as a JWK; a secret like a password. */
  readonly privateJwk: JWK;
  readonly state: SigningKeyState;
  readonly createdAt: number;
  /** The key stops signing (becomes `retired`) after this moment. */
  readonly retireAfter: number;
  /** Nothing it signed is valid after this; garbage collection deletes it then. */
  readonly notAfter: number;
}

/**
 * A chain of refresh tokens descending from one login. Reusing a spent token
 * of the family revokes the whole family.
 */
export interface RefreshFamily {
  readonly id: string;
  /** The `sub` the family's tokens were issued to. */
  readonly subject: string;
  /** The connector that authenticated the login, asked again on refresh. */
  readonly connectorId: string;
  /** The connector's own state for refreshing, opaque to storage. */
  readonly connectorData?: string;
  readonly createdAt: number;
  readonly lastUsedAt: number;
  /** Set once, when reuse is detected or the user is signed out. */
  readonly revoked: boolean;
  /** Absolute end of the family; garbage collection deletes it then. Absent: no limit. */
  readonly expiresAt?: number;
}

/** Whom a revocation cuts off: one user, one group, or everyone. */
export type RevocationKind = "user" | "group" | "all";

/** An operator's order that tokens of a user, a group or everyone stop working. */
export interface Revocation {
  readonly id: string;
  readonly kind: RevocationKind;
  /** The username (kind `user`) or group name (kind `group`); absent for `all`. */
  readonly subject?: string;
  /** Why, in the operator's words. */
  readonly reason: string;
  /** Who ordered it. */
  readonly actor: string;
  /** Tokens issued before this moment are refused. */
  readonly createdAt: number;
  /** The revocation lapses (and is garbage collected) after this; absent: forever. */
  readonly until?: number;
  /**
   * `revoke` (absent means this): tokens issued before `createdAt` are refused.
   * `block`: every token is refused until `until`, whatever its issue time.
   */
  readonly effect?: "revoke" | "block";
}

/** How many records one garbage collection deleted, per kind. */
export interface GcResult {
  readonly protocolObjects: number;
  readonly refreshFamilies: number;
  readonly signingKeys: number;
  readonly revocations: number;
}
