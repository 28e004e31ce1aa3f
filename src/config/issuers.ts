/**
 * Turns raw issuer settings into {@link OidcIssuerConfig}s, applying
 * kube-apiserver's `--oidc-*` flag rules (defaults, the `issuer#` username
 * prefix) and checking every value.
 */
import type { Problems } from "./errors.ts";
import { DEFAULTS } from "./flag-table.ts";
import { readCaFile } from "./pem.ts";
import type { IssuerSettings } from "./settings.ts";
import type { OidcIssuerConfig } from "./types.ts";
import { parseHttpsUrl, parseSigningAlgs, type Setting } from "./values.ts";

/** Where an issuer's settings live, for naming missing fields. */
export interface IssuerPlace {
  /** Field prefix (`oidc[1].`) for a list entry; undefined for the single flag/file issuer. */
  readonly listPrefix?: string;
  /** True when a config file is in use, so a missing flag can also be set there. */
  readonly fileInUse: boolean;
}

/**
 * kube-apiserver's username prefix rule (pkg/kubeapiserver/options/authentication.go):
 * unset or empty and the claim is not `email` → `<issuer>#`; `-` → none; otherwise literal.
 */
export function resolveUsernamePrefix(prefix: string | undefined, claim: string, issuerUrl: string): string {
  if ((prefix === undefined || prefix === "") && claim !== "email") return `${issuerUrl}#`;
  if (prefix === "-" || prefix === undefined) return "";
  return prefix;
}

function missing(field: string, flag: string, place: IssuerPlace, problems: Problems, hint = ""): void {
  if (place.listPrefix !== undefined) problems.add(`${place.listPrefix}${field}`, `required${hint}`);
  else problems.add(flag, `required${place.fileInUse ? ` (or oidc.${field} in the config file)` : ""}${hint}`);
}

function checkRequiredClaims(s: Setting<Readonly<Record<string, string>>> | undefined, problems: Problems): Record<string, string> {
  const claims = { ...s?.value };
  if (s && Object.hasOwn(claims, "")) problems.add(s.path, "claim names must not be empty");
  return claims;
}

function audiences(s: IssuerSettings, place: IssuerPlace, problems: Problems): string[] {
  const list = [...(s.clientID ? [s.clientID.value] : []), ...(s.audiences?.value ?? [])];
  if (list.length === 0) missing("clientID", "--oidc-client-id", place, problems, place.listPrefix === undefined ? "" : " (or audiences)");
  return [...new Set(list)];
}

/** One issuer; undefined when a problem was recorded. */
export async function resolveIssuer(s: IssuerSettings, place: IssuerPlace, problems: Problems): Promise<OidcIssuerConfig | undefined> {
  const before = problems.list.length;
  if (!s.issuerURL) missing("issuerURL", "--oidc-issuer-url", place, problems);
  const issuerUrl = s.issuerURL && parseHttpsUrl(s.issuerURL, problems);
  const discoveryUrl = s.discoveryURL && parseHttpsUrl(s.discoveryURL, problems);
  if (s.discoveryURL && discoveryUrl !== undefined && discoveryUrl === issuerUrl) problems.add(s.discoveryURL.path, "must differ from the issuer URL (leave it out to use the issuer URL)");
  const auds = audiences(s, place, problems);
  const caPem = s.caFile && (await readCaFile(s.caFile, problems));
  const signingAlgs = parseSigningAlgs(s.signingAlgs ?? { value: DEFAULTS.signingAlgs, path: "--oidc-signing-algs" }, problems);
  const requiredClaims = checkRequiredClaims(s.requiredClaims, problems);
  if (problems.list.length > before || issuerUrl === undefined || signingAlgs === undefined) return undefined;
  const usernameClaim = s.usernameClaim?.value ?? DEFAULTS.usernameClaim;
  return {
    issuerUrl,
    ...(discoveryUrl !== undefined ? { discoveryUrl } : {}),
    audiences: auds,
    ...(caPem !== undefined ? { caPem } : {}),
    usernameClaim,
    usernamePrefix: resolveUsernamePrefix(s.usernamePrefix?.value, usernameClaim, issuerUrl),
    ...(s.groupsClaim ? { groupsClaim: s.groupsClaim.value } : {}),
    groupsPrefix: s.groupsPrefix?.value ?? "",
    ...(s.uidClaim ? { uidClaim: s.uidClaim.value } : {}),
    signingAlgs,
    requiredClaims,
  };
}

/** Every issuer; an empty configuration is reported as the missing `--oidc-*` flags. */
export async function resolveIssuers(list: readonly IssuerSettings[], isList: boolean, fileInUse: boolean, problems: Problems): Promise<OidcIssuerConfig[]> {
  const entries = list.length > 0 ? list : [{}];
  const out: OidcIssuerConfig[] = [];
  const seen = new Map<string, string>();
  for (const [i, s] of entries.entries()) {
    const issuer = await resolveIssuer(s, isList ? { listPrefix: `oidc[${i}].`, fileInUse } : { fileInUse }, problems);
    if (!issuer || !s.issuerURL) continue;
    const first = seen.get(issuer.issuerUrl);
    if (first !== undefined) problems.add(s.issuerURL.path, `the same issuer as ${first}; each issuer may appear once`);
    else seen.set(issuer.issuerUrl, s.issuerURL.path);
    out.push(issuer);
  }
  return out;
}
