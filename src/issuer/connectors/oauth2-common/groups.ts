/**
 * Group policy shared by the OAuth2 connectors: only members of the listed
 * groups may log in, and (optionally) only those groups are passed on.
 */
import { KubewardError } from "../../../errors.ts";

/** What a connector's config says about groups. */
export interface GroupPolicy {
  /** Only members of at least one of these may log in; undefined: everyone. */
  readonly allowed?: readonly string[] | undefined;
  /** Pass on only the `allowed` groups the user is in (Dex's behaviour for gitlab, google, microsoft). */
  readonly keepOnlyAllowed: boolean;
}

/**
 * The groups to pass on.
 *
 * @throws KubewardError `connector_refused` when the user is in none of the allowed groups.
 */
export function applyGroupPolicy(provider: string, username: string, groups: readonly string[], policy: GroupPolicy): string[] {
  const allowed = policy.allowed;
  if (allowed === undefined || allowed.length === 0) return [...groups];
  const kept = groups.filter((g) => allowed.includes(g));
  if (kept.length === 0) throw new KubewardError("connector_refused", `${provider}: ${username} is in none of the allowed groups`);
  return policy.keepOnlyAllowed ? kept : [...groups];
}
