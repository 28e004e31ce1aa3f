/**
 * The `gitlab` connector: logs users in with GitLab's OAuth2 provider
 * (gitlab.com or self-hosted), reads the user from /api/v4/user and groups
 * (with roles, if asked) from the OpenID userinfo, and refreshes with
 * GitLab's refresh token.
 */
import { KubewardError } from "../../../errors.ts";
import type { ConnectorDeps, ConnectorType, Identity, Scopes } from "../connector.ts";
import { applyGroupPolicy } from "../oauth2-common/groups.ts";
import { OAuth2Connector } from "../oauth2-common/oauth2-connector.ts";
import type { Tokens } from "../oauth2-common/tokens.ts";
import { getJSON, upstreamHttp, type UpstreamHttp } from "../oauth2-common/upstream-http.ts";
import { gitlabConfigSchema, type GitLabConfig } from "./gitlab-config.ts";

interface GitLabUser { readonly id: number; readonly username: string; readonly name: string; readonly email: string | null; readonly state: string }
type UserInfo = Readonly<Record<string, unknown>> & { readonly groups?: readonly string[] };

/** The claim listing the groups where the user has `role` (GitLab's userinfo). */
const ROLE_CLAIM = (role: string) => `https://gitlab.org/claims/groups/${role}`;
const ROLES = ["owner", "maintainer", "developer"] as const;

function groupsNeeded(config: GitLabConfig, scopes: Scopes): boolean {
  return config.groups !== undefined || scopes.groups;
}

/** `group` is `path` or one of its subgroups (a role in a parent group applies below it). */
function within(group: string, path: string): boolean {
  return group === path || group.startsWith(`${path}/`);
}

/**
 * The userinfo's groups and, with `getGroupsPermission`, `group:role` for each
 * group with the highest of owner, maintainer, developer the user holds there
 * or in a parent group (as Dex).
 */
function groupsFrom(info: UserInfo, withRoles: boolean): string[] {
  const strings = (v: unknown) => (Array.isArray(v) ? v.filter((g): g is string => typeof g === "string") : []);
  const groups = strings(info.groups);
  if (!withRoles) return groups;
  const roles = ROLES.map((role) => ({ role, paths: strings(info[ROLE_CLAIM(role)]) }));
  const withRole = groups.flatMap((g) => {
    const held = roles.find(({ paths }) => paths.some((p) => within(g, p)));
    return held === undefined ? [] : [`${g}:${held.role}`];
  });
  return [...groups, ...withRole];
}

async function identify(config: GitLabConfig, http: UpstreamHttp, base: string, tokens: Tokens, scopes: Scopes): Promise<Omit<Identity, "connectorData">> {
  const { body: user } = await getJSON<GitLabUser>(http, "gitlab", `${base}/api/v4/user`, tokens.accessToken);
  if (typeof user.id !== "number" || typeof user.username !== "string") throw new KubewardError("connector_unavailable", "gitlab: /api/v4/user answered without id or username");
  if (user.state !== undefined && user.state !== "active") throw new KubewardError("connector_refused", `gitlab: ${user.username} is ${user.state}`);
  const username = user.name !== "" ? user.name : user.username;
  let groups: string[] = [];
  if (groupsNeeded(config, scopes)) {
    const { body: info } = await getJSON<UserInfo>(http, "gitlab", `${base}/oauth/userinfo`, tokens.accessToken);
    groups = applyGroupPolicy("gitlab", username, groupsFrom(info, config.getGroupsPermission === true), { allowed: config.groups, keepOnlyAllowed: true });
  }
  return {
    userID: config.useLoginAsID === true ? user.username : String(user.id),
    username,
    preferredUsername: user.username,
    ...(user.email !== null && user.email !== "" ? { email: user.email, emailVerified: true } : {}),
    groups: scopes.groups ? groups : [],
  };
}

/**
 * Opens a gitlab connector.
 *
 * @example
 * const c = await openGitLabConnector("gitlab", "GitLab", { baseURL: "https://gitlab.example.com", clientID, clientSecret, groups: ["platform/k8s"] }, deps);
 */
export function openGitLabConnector(id: string, name: string, config: GitLabConfig, deps: ConnectorDeps): Promise<OAuth2Connector> {
  const base = config.baseURL ?? "https://gitlab.com";
  const http = upstreamHttp({}, deps.fetch);
  return Promise.resolve(new OAuth2Connector(id, name, {
    type: "gitlab",
    authorizationURL: `${base}/oauth/authorize`,
    token: { url: `${base}/oauth/token`, clientID: config.clientID, clientSecret: config.clientSecret, auth: "post" },
    pkce: true,
    redirectURI: config.redirectURI,
    http,
    authParams: (scopes) => ({ scope: groupsNeeded(config, scopes) ? "read_user openid" : "read_user" }),
    identify: (tokens, scopes) => identify(config, http, base, tokens, scopes),
  }, deps));
}

/** The registry entry for `gitlab`. */
export const gitlabConnectorType: ConnectorType<GitLabConfig> = { schema: gitlabConfigSchema, open: openGitLabConnector };
