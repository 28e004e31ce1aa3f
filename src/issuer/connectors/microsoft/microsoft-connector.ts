/**
 * The `microsoft` connector: logs users in with the Microsoft identity
 * platform (v2.0 endpoints; Entra ID tenants and personal accounts), reads
 * them from Microsoft Graph, and their groups from the ID token or Graph.
 */
import { KubewardError } from "../../../errors.ts";
import type { ConnectorDeps, ConnectorType, Identity, Scopes } from "../connector.ts";
import { applyGroupPolicy } from "../oauth2-common/groups.ts";
import { OAuth2Connector, type OAuth2Provider } from "../oauth2-common/oauth2-connector.ts";
import type { Tokens } from "../oauth2-common/tokens.ts";
import { upstreamHttp, type UpstreamHttp } from "../oauth2-common/upstream-http.ts";
import { checkMicrosoftConfig, microsoftConfigSchema, MULTI_TENANTS, type MicrosoftConfig } from "./microsoft-config.ts";
import { graphGroups, graphMe, idTokenGroups } from "./microsoft-graph.ts";

/** Groups are read only within one tenant, when the client asks or `groups` decides who may log in. */
function groupsNeeded(config: MicrosoftConfig, scopes: Scopes): boolean {
  return (config.groups !== undefined || scopes.groups) && !MULTI_TENANTS.includes(config.tenant ?? "common");
}

function authParams(config: MicrosoftConfig, scopes: Scopes): Record<string, string> {
  const list = ["openid", ...(config.scopes ?? ["user.read"])];
  if (groupsNeeded(config, scopes)) list.push("directory.read.all");
  if (scopes.offlineAccess) list.push("offline_access");
  const params: Record<string, string> = { scope: [...new Set(list)].join(" ") };
  if (config.promptType !== undefined && config.promptType !== "") params["prompt"] = config.promptType;
  if (config.domainHint !== undefined) params["domain_hint"] = config.domainHint;
  return params;
}

/** The ID token's groups when it carries all of them as ids and ids are wanted; otherwise Graph's. */
async function groupsOf(config: MicrosoftConfig, http: UpstreamHttp, graph: string, tokens: Tokens, userID: string): Promise<string[]> {
  const format = config.groupNameFormat ?? "name";
  const fromToken = tokens.idToken === undefined ? undefined : idTokenGroups(tokens.idToken, config.clientID);
  if (fromToken?.oid !== undefined && fromToken.oid !== userID) throw new KubewardError("connector_callback_invalid", "microsoft: the ID token and Graph name different users");
  if (fromToken?.groups !== undefined && format === "id" && config.onlySecurityGroups !== true) return fromToken.groups;
  return graphGroups(http, graph, tokens.accessToken, config.onlySecurityGroups === true, format);
}

async function identify(config: MicrosoftConfig, http: UpstreamHttp, graph: string, tokens: Tokens, scopes: Scopes): Promise<Omit<Identity, "connectorData">> {
  const user = await graphMe(http, graph, tokens.accessToken);
  const rawEmail = user.mail ?? user.userPrincipalName ?? undefined;
  const email = rawEmail !== undefined && config.emailToLowercase === true ? rawEmail.toLowerCase() : rawEmail;
  const username = user.displayName ?? user.userPrincipalName ?? user.id;
  let groups: string[] = [];
  if (groupsNeeded(config, scopes)) {
    const all = await groupsOf(config, http, graph, tokens, user.id);
    groups = applyGroupPolicy("microsoft", username, all, { allowed: config.groups, keepOnlyAllowed: config.useGroupsAsWhitelist === true });
  }
  return {
    userID: user.id,
    username,
    ...(user.userPrincipalName !== null ? { preferredUsername: user.userPrincipalName } : {}),
    ...(email !== undefined ? { email, emailVerified: true } : {}),
    groups: scopes.groups ? groups : [],
  };
}

function provider(config: MicrosoftConfig, http: UpstreamHttp): OAuth2Provider {
  const api = `${config.apiURL ?? "https://login.microsoftonline.com"}/${config.tenant ?? "common"}/oauth2/v2.0`;
  const graph = config.graphURL ?? "https://graph.microsoft.com";
  return {
    type: "microsoft",
    authorizationURL: `${api}/authorize`,
    token: { url: `${api}/token`, clientID: config.clientID, clientSecret: config.clientSecret, auth: "post" },
    pkce: true,
    redirectURI: config.redirectURI,
    http,
    authParams: (scopes) => authParams(config, scopes),
    identify: (tokens, scopes) => identify(config, http, graph, tokens, scopes),
  };
}

/**
 * Opens a microsoft connector.
 *
 * @throws {@link ConfigError} (paths relative to `config`) for conflicting fields.
 * @example
 * const c = await openMicrosoftConnector("entra", "Microsoft", { clientID, clientSecret, tenant: "contoso.onmicrosoft.com", groups: ["k8s-admins"] }, deps);
 */
export async function openMicrosoftConnector(id: string, name: string, config: MicrosoftConfig, deps: ConnectorDeps): Promise<OAuth2Connector> {
  checkMicrosoftConfig(config);
  return new OAuth2Connector(id, name, provider(config, upstreamHttp({}, deps.fetch)), deps);
}

/** The registry entry for `microsoft`. */
export const microsoftConnectorType: ConnectorType<MicrosoftConfig> = { schema: microsoftConfigSchema, open: openMicrosoftConnector };
