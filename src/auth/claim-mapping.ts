/**
 * Maps verified claims to a Kubernetes identity with kube-apiserver's
 * claim-based rules (oidc.go: getUsername, getGroups, getUID, getExtra, then
 * required claims). Pure functions; a JSON null reads as Go's zero value.
 */
import { KubewardError } from "../errors.ts";
import type { OidcIssuerConfig } from "../config/types.ts";
import type { UserInfo } from "./authenticator.ts";

/** Claims of a verified token. */
export type Claims = Readonly<Record<string, unknown>>;

/** The part of an issuer's config that claim mapping reads. */
export type ClaimMappingConfig = Pick<
  OidcIssuerConfig, "usernameClaim" | "usernamePrefix" | "groupsClaim" | "groupsPrefix" | "uidClaim" | "requiredClaims"
>;

/**
 * Extra key carrying the token's `jti` as `JTI=<jti>` (user.CredentialIDKey,
 * formatted by k8s.io/apiserver's `jwt.CredentialIDForJTI`). The JWT
 * authenticator sets it since Kubernetes 1.32 (kubernetes/kubernetes#127010),
 * only for a non-empty string `jti`; any other `jti` is ignored.
 */
export const CREDENTIAL_ID_EXTRA_KEY = "authentication.kubernetes.io/credential-id";

function own(claims: Claims, name: string): { present: boolean; value: unknown } {
  return Object.hasOwn(claims, name) ? { present: true, value: claims[name] } : { present: false, value: undefined };
}

/** Reads a claim as Go unmarshals it into a string: null is "", other non-strings fail. */
function stringClaim(claims: Claims, name: string): string | undefined | Error {
  const { present, value } = own(claims, name);
  if (!present) return undefined;
  if (value === null) return "";
  return typeof value === "string" ? value : new Error(`claim ${name} is a ${typeof value}, not a string`);
}

/**
 * `usernamePrefix` + the username claim. The claim must be a string (null
 * reads as ""). When the claim is `email`, `email_verified`, if present, must
 * be boolean true. kube-apiserver accepts an empty claim, giving the bare
 * prefix; kubeward does too, but refuses an empty username (no prefix): an
 * empty Impersonate-User would mean no impersonation at all.
 */
export function mapUsername(claims: Claims, config: ClaimMappingConfig): string {
  const name = config.usernameClaim;
  const value = stringClaim(claims, name);
  if (value === undefined) throw new KubewardError("token_claim_missing", `username claim ${name} is absent`);
  if (value instanceof Error) throw new KubewardError("token_claim_invalid", value.message);
  if (name === "email") {
    const verified = own(claims, "email_verified");
    if (verified.present && verified.value !== true) {
      throw new KubewardError("token_email_unverified", `email_verified is ${JSON.stringify(verified.value)}`);
    }
  }
  const username = config.usernamePrefix + value;
  if (username === "") throw new KubewardError("token_claim_invalid", `username claim ${name} is empty and there is no username prefix`);
  return username;
}

/** The groups claim (a string or an array of strings), each with `groupsPrefix`; absent or null means none. */
export function mapGroups(claims: Claims, config: ClaimMappingConfig): string[] {
  if (config.groupsClaim === undefined) return [];
  const { value } = own(claims, config.groupsClaim);
  if (value === undefined || value === null) return [];
  const raw = typeof value === "string" ? [value] : value;
  if (!Array.isArray(raw) || !raw.every((g) => typeof g === "string" || g === null)) {
    throw new KubewardError("token_claim_invalid", `groups claim ${config.groupsClaim} is not a string or an array of strings`);
  }
  return raw.map((g: string | null) => config.groupsPrefix + (g ?? ""));
}

/** The uid claim when configured; it must then be present and a string (empty means no uid). */
export function mapUid(claims: Claims, config: ClaimMappingConfig): string | undefined {
  if (config.uidClaim === undefined) return undefined;
  const value = stringClaim(claims, config.uidClaim);
  if (value === undefined) throw new KubewardError("token_claim_missing", `uid claim ${config.uidClaim} is absent`);
  if (value instanceof Error) throw new KubewardError("token_claim_invalid", value.message);
  return value === "" ? undefined : value;
}

/** Extra from the claims: the credential id when `jti` is a non-empty string (other types are ignored). */
export function mapExtra(claims: Claims): Record<string, string[]> {
  const jti = claims["jti"];
  return typeof jti === "string" && jti !== "" && Object.hasOwn(claims, "jti") ? { [CREDENTIAL_ID_EXTRA_KEY]: [`JTI=${jti}`] } : {};
}

/** Every required claim must be present, a string, and equal to its value. */
export function checkRequiredClaims(claims: Claims, required: Readonly<Record<string, string>>): void {
  for (const [name, want] of Object.entries(required)) {
    const value = stringClaim(claims, name);
    if (value === undefined) throw new KubewardError("token_claim_missing", `required claim ${name} is absent`);
    if (value instanceof Error) throw new KubewardError("token_claim_mismatch", value.message);
    if (value !== want) throw new KubewardError("token_claim_mismatch", `required claim ${name} has another value`);
  }
}

/** Maps claims to a UserInfo, in kube-apiserver's order: username, groups, uid, extra, required claims. */
export function mapClaims(claims: Claims, config: ClaimMappingConfig): UserInfo {
  const username = mapUsername(claims, config);
  const groups = mapGroups(claims, config);
  const uid = mapUid(claims, config);
  const extra = mapExtra(claims);
  checkRequiredClaims(claims, config.requiredClaims);
  return uid === undefined ? { username, groups, extra } : { username, uid, groups, extra };
}
