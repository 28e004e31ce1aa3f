/**
 * The `github` connector: logs users in with GitHub's OAuth web flow (state,
 * PKCE) on github.com or GitHub Enterprise Server, reads their verified email
 * and org/team groups, and re-checks them at refresh with the kept token.
 */
import type { ConnectorDeps, ConnectorType, Identity, Scopes } from "../connector.ts";
import { OAuth2Connector, type OAuth2Provider } from "../oauth2-common/oauth2-connector.ts";
import type { Tokens } from "../oauth2-common/tokens.ts";
import { upstreamHttp, type UpstreamHttp } from "../oauth2-common/upstream-http.ts";
import { GitHubApi, allGroups, groupsForOrgs, userEmail } from "./github-api.ts";
import { checkGitHubConfig, githubConfigSchema, type GitHubConfig } from "./github-config.ts";

/** Groups are needed to decide who may log in (`orgs`), or when the client asks and `loadAllGroups` is on. */
function groupsNeeded(config: GitHubConfig, scopes: Scopes): boolean {
  return config.orgs !== undefined || (scopes.groups && config.loadAllGroups === true);
}

async function identify(config: GitHubConfig, http: UpstreamHttp, apiBase: string, tokens: Tokens, scopes: Scopes): Promise<Omit<Identity, "connectorData">> {
  const api = new GitHubApi(http, apiBase, tokens.accessToken);
  const user = await api.user();
  const email = await userEmail(api, user, config);
  let groups: string[] = [];
  if (config.orgs !== undefined) groups = await groupsForOrgs(api, user.login, config.orgs, config.teamNameField);
  else if (groupsNeeded(config, scopes)) groups = await allGroups(api, config.teamNameField);
  return {
    userID: config.useLoginAsID === true ? user.login : String(user.id),
    username: user.name !== null && user.name !== "" ? user.name : user.login,
    preferredUsername: user.login,
    email,
    emailVerified: true,
    groups: scopes.groups ? groups : [],
  };
}

function provider(config: GitHubConfig, http: UpstreamHttp): OAuth2Provider {
  const web = config.hostName === undefined ? "https://github.com" : `https://${config.hostName}`;
  const apiBase = config.hostName === undefined ? "https://api.github.com" : `https://${config.hostName}/api/v3`;
  return {
    type: "github",
    authorizationURL: `${web}/login/oauth/authorize`,
    token: { url: `${web}/login/oauth/access_token`, clientID: config.clientID, clientSecret: config.clientSecret, auth: "post" },
    pkce: true,
    redirectURI: config.redirectURI,
    http,
    authParams: (scopes) => ({ scope: ["user:email", ...(groupsNeeded(config, scopes) ? ["read:org"] : [])].join(" ") }),
    identify: (tokens, scopes) => identify(config, http, apiBase, tokens, scopes),
  };
}

/**
 * Opens a github connector.
 *
 * @throws {@link ConfigError} (paths relative to `config`) for an unreadable `rootCA` or conflicting fields.
 * @example
 * const c = await openGitHubConnector("github", "GitHub", { clientID, clientSecret, orgs: [{ name: "acme", teams: ["sre"] }] }, deps);
 */
export async function openGitHubConnector(id: string, name: string, config: GitHubConfig, deps: ConnectorDeps): Promise<OAuth2Connector> {
  const http = upstreamHttp({ caPem: await checkGitHubConfig(config) }, deps.fetch);
  return new OAuth2Connector(id, name, provider(config, http), deps);
}

/** The registry entry for `github`. */
export const githubConnectorType: ConnectorType<GitHubConfig> = { schema: githubConfigSchema, open: openGitHubConnector };
