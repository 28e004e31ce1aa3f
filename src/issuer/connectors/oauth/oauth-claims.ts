/**
 * Reads an identity out of a generic OAuth2 upstream's userinfo JSON, with
 * dot-separated paths for nested values, as the `oauth` connector maps them.
 */
import { KubewardError } from "../../../errors.ts";
import type { Identity, Scopes } from "../connector.ts";
import { applyGroupPolicy } from "../oauth2-common/groups.ts";
import type { OAuthConfig } from "./oauth-config.ts";

/** The value at a dot-separated `path` (`a.b.c`); a key that itself holds dots is found too. */
export function valueAt(document: unknown, path: string): unknown {
  if (typeof document !== "object" || document === null) return undefined;
  const record = document as Record<string, unknown>;
  if (Object.hasOwn(record, path)) return record[path];
  const dot = path.indexOf(".");
  return dot < 0 ? undefined : valueAt(record[path.slice(0, dot)], path.slice(dot + 1));
}

function invalid(detail: string): KubewardError {
  return new KubewardError("connector_callback_invalid", `oauth: ${detail}`);
}

/** A string (numbers are written out, as user ids often are numbers). */
function text(info: unknown, path: string, required: boolean): string | undefined {
  const value = valueAt(info, path);
  if (typeof value === "string" && value !== "") return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  if (value === undefined || value === null) {
    if (required) throw invalid(`the userinfo has no "${path}"`);
    return undefined;
  }
  throw invalid(`the userinfo's "${path}" is not a string or a number`);
}

/** Groups: a string, a list of strings, or a list of objects with a `name` (as Dex reads them). */
function groupsAt(info: unknown, path: string): string[] {
  const value = valueAt(info, path);
  if (value === undefined || value === null) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.map((g) => {
    if (typeof g === "string") return g;
    const name = (g as { name?: unknown } | null)?.name;
    if (typeof name === "string") return name;
    throw invalid(`the userinfo's "${path}" holds a group that is neither a string nor an object with a name`);
  });
}

/**
 * The identity in `info`.
 *
 * @throws KubewardError `connector_callback_invalid` (a required field is
 *   missing or has the wrong type) or `connector_refused` (not in `allowedGroups`).
 */
export function identityFromUserInfo(info: unknown, config: OAuthConfig, scopes: Scopes): Omit<Identity, "connectorData"> {
  const m = config.claimMapping ?? {};
  const userID = text(info, config.userIDKey ?? "id", true) as string;
  const username = text(info, m.userNameKey ?? "user_name", true) as string;
  const preferredUsername = text(info, m.preferredUsernameKey ?? "preferred_username", false);
  const email = text(info, m.emailKey ?? "email", false);
  const verified = valueAt(info, m.emailVerifiedKey ?? "email_verified");
  let groups = applyGroupPolicy("oauth", username, groupsAt(info, m.groupsKey ?? "groups"), { allowed: config.allowedGroups, keepOnlyAllowed: false });
  if (config.keepGroups !== undefined) groups = groups.filter((g) => config.keepGroups?.includes(g));
  return {
    userID,
    username,
    ...(preferredUsername !== undefined ? { preferredUsername } : {}),
    ...(email !== undefined ? { email, emailVerified: verified === true || verified === "true" } : {}),
    groups: scopes.groups ? groups : [],
  };
}
