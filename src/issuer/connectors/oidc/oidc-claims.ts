/**
 * Turns an upstream's claims (ID token, plus userinfo when enabled) into a
 * kubeward identity, enforcing verified email, hosted domains and
 * `allowedGroups`, and applying the `keepGroups` list.
 */
import { KubewardError } from "../../../errors.ts";
import type { Identity, Scopes } from "../connector.ts";
import type { OidcConfig } from "./oidc-config.ts";

type Claims = Readonly<Record<string, unknown>>;

function invalid(detail: string): KubewardError {
  return new KubewardError("connector_callback_invalid", `oidc connector: ${detail}`);
}

function refused(detail: string): KubewardError {
  return new KubewardError("connector_refused", `oidc connector: ${detail}`);
}

function stringClaim(claims: Claims, key: string, required: boolean): string | undefined {
  const value = claims[key];
  if (typeof value === "string" && value !== "") return value;
  if (value === undefined && !required) return undefined;
  throw invalid(value === undefined ? `the upstream sent no "${key}" claim` : `the "${key}" claim is not a non-empty string`);
}

/** The standard claim, or the mapped one when it is absent (always the mapped one with `overrideClaimMapping`). */
function mapped(claims: Claims, config: OidcConfig, standard: "preferred_username" | "email" | "groups"): string {
  const alternative = config.claimMapping?.[standard];
  if (alternative === undefined) return standard;
  return config.overrideClaimMapping === true || claims[standard] === undefined ? alternative : standard;
}

function groupsOf(claims: Claims, key: string): string[] {
  const value = claims[key];
  if (value === undefined) return [];
  if (typeof value === "string") return [value];
  if (Array.isArray(value) && value.every((g) => typeof g === "string")) return [...(value as string[])];
  throw invalid(`the "${key}" claim is not a string or a list of strings`);
}

/**
 * Whether the email counts as verified; refuses an unverified one unless
 * `insecureSkipEmailVerified`. As in Dex, a missing `email_verified` counts as
 * verified when skipping, and an explicit `false` stays false.
 */
function checkEmail(claims: Claims, config: OidcConfig, email: string | undefined): boolean {
  if (email === undefined) return false;
  const claim = claims["email_verified"];
  const skip = config.insecureSkipEmailVerified === true;
  if (claim !== true && !skip) throw refused(`email ${email} is not verified upstream`);
  return claim === true || (claim === undefined && skip);
}

function checkGroups(config: OidcConfig, groups: readonly string[], username: string): string[] {
  const allowed = config.allowedGroups;
  if (allowed !== undefined && !groups.some((g) => allowed.includes(g))) {
    throw refused(`${username} is in none of the allowed groups`);
  }
  const keep = config.keepGroups;
  return keep === undefined ? [...groups] : groups.filter((g) => keep.includes(g));
}

/**
 * The identity these claims describe.
 *
 * @throws KubewardError `connector_refused` (unverified email, wrong hosted
 *   domain, not in `allowedGroups`) or `connector_callback_invalid` (a
 *   required claim is missing or has the wrong type).
 */
export function identityFromClaims(claims: Claims, config: OidcConfig, scopes: Scopes): Omit<Identity, "connectorData"> {
  const userID = stringClaim(claims, config.userIDKey ?? "sub", true) as string;
  const username = stringClaim(claims, config.userNameKey ?? "name", true) as string;
  const hostedDomains = config.hostedDomains;
  if (hostedDomains !== undefined && !hostedDomains.includes(String(claims["hd"]))) {
    throw refused(`${username}'s hosted domain ${JSON.stringify(claims["hd"])} is not allowed`);
  }
  const email = stringClaim(claims, mapped(claims, config, "email"), false);
  const emailVerified = checkEmail(claims, config, email);
  const groups = config.insecureEnableGroups === true ? checkGroups(config, groupsOf(claims, mapped(claims, config, "groups")), username) : [];
  const preferredUsername = stringClaim(claims, mapped(claims, config, "preferred_username"), false);
  return {
    userID,
    username,
    ...(preferredUsername !== undefined ? { preferredUsername } : {}),
    ...(email !== undefined ? { email, emailVerified } : {}),
    groups: scopes.groups ? groups : [],
  };
}
