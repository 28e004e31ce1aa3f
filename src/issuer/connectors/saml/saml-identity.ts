/**
 * Turns a validated SAML profile (NameID and attributes) into a kubeward
 * identity, applying `allowedGroups` and `filterGroups` as Dex does.
 */
import type { Profile } from "@node-saml/node-saml";
import { KubewardError } from "../../../errors.ts";
import type { Identity, Scopes } from "../connector.ts";
import type { SamlConfig } from "./saml-config.ts";

const UNSPECIFIED = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified";

function invalid(detail: string): KubewardError {
  return new KubewardError("connector_callback_invalid", `saml connector: ${detail}`);
}

/** Every string value of attribute `name`. */
function attributeValues(profile: Profile, name: string): string[] {
  const value = (profile.attributes as Record<string, unknown> | undefined)?.[name];
  const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return list.filter((v): v is string => typeof v === "string");
}

function single(profile: Profile, name: string, field: string): string {
  const [value] = attributeValues(profile, name);
  if (value === undefined || value === "") throw invalid(`the assertion has no "${name}" attribute (${field})`);
  return value;
}

function groupsOf(profile: Profile, config: SamlConfig): string[] {
  if (config.groupsAttr === undefined) return [];
  const values = attributeValues(profile, config.groupsAttr);
  const delim = config.groupsDelim;
  const groups = delim === undefined ? values : values.flatMap((v) => v.split(delim));
  return [...new Set(groups.map((g) => g.trim()).filter((g) => g !== ""))];
}

/**
 * The identity in a validated profile.
 *
 * @param nameIDFormat the NameID format asked for; another one in the answer is refused (unless unspecified).
 * @throws KubewardError `connector_callback_invalid` (no NameID, a missing
 *   attribute, another NameID format) or `connector_refused` (in none of `allowedGroups`).
 */
export function identityFromProfile(profile: Profile, config: SamlConfig, nameIDFormat: string, scopes: Scopes): Identity {
  if (typeof profile.nameID !== "string" || profile.nameID === "") throw invalid("the assertion has no NameID");
  const format = profile.nameIDFormat;
  if (nameIDFormat !== UNSPECIFIED && typeof format === "string" && format !== "" && format !== nameIDFormat) {
    throw invalid(`the NameID format is ${format}, not ${nameIDFormat} (nameIDPolicyFormat)`);
  }
  const username = single(profile, config.usernameAttr, "usernameAttr");
  const email = single(profile, config.emailAttr, "emailAttr");
  let groups = groupsOf(profile, config);
  const allowed = config.allowedGroups;
  if (allowed !== undefined) {
    const members = groups.filter((g) => allowed.includes(g));
    if (members.length === 0) throw new KubewardError("connector_refused", `saml connector: ${username} is in none of the allowed groups`);
    if (config.filterGroups === true) groups = members;
  }
  return { userID: profile.nameID, username, email, emailVerified: true, groups: scopes.groups ? groups : [] };
}
