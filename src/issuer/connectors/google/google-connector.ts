/**
 * The `google` connector: logs users in with Google (state, PKCE, offline
 * access for refresh), reads them from the OpenID userinfo, enforces hosted
 * domains and verified email, and reads Workspace groups through the Admin
 * Directory API with a service account.
 */
import { KubewardError } from "../../../errors.ts";
import type { ConnectorDeps, ConnectorType, Identity, Scopes } from "../connector.ts";
import { applyGroupPolicy } from "../oauth2-common/groups.ts";
import { OAuth2Connector } from "../oauth2-common/oauth2-connector.ts";
import type { Tokens } from "../oauth2-common/tokens.ts";
import { getJSON, upstreamHttp, type UpstreamHttp } from "../oauth2-common/upstream-http.ts";
import { checkGoogleConfig, googleConfigSchema, type GoogleConfig } from "./google-config.ts";
import { GoogleDirectory } from "./google-directory.ts";

const USERINFO = "https://openidconnect.googleapis.com/v1/userinfo";

interface UserInfo { readonly sub: string; readonly name?: string; readonly email?: string; readonly email_verified?: boolean; readonly hd?: string }

function authParams(config: GoogleConfig, scopes: Scopes): Record<string, string> {
  const params: Record<string, string> = { scope: "openid profile email" };
  const prompt = config.promptType ?? "consent";
  if (prompt !== "") params["prompt"] = prompt;
  if (scopes.offlineAccess) params["access_type"] = "offline";
  const domains = config.hostedDomains;
  if (domains !== undefined) params["hd"] = domains.length === 1 ? (domains[0] ?? "*") : "*";
  return params;
}

/** The admin the service account acts as for `email`'s domain, or the `*` one. */
function adminFor(config: GoogleConfig, email: string): string {
  const map = config.domainToAdminEmail ?? {};
  const domain = email.slice(email.lastIndexOf("@") + 1);
  const admin = Object.hasOwn(map, domain) ? map[domain] : map["*"];
  if (admin === undefined) throw new KubewardError("connector_refused", `google: domainToAdminEmail names no admin for ${domain} (and has no "*")`);
  return admin;
}

async function groupsOf(config: GoogleConfig, directory: GoogleDirectory | undefined, email: string, scopes: Scopes): Promise<string[]> {
  if (directory === undefined || (config.groups === undefined && !scopes.groups)) return [];
  const all = await directory.groupsOf(email, adminFor(config, email), config.fetchTransitiveGroupMembership === true);
  return applyGroupPolicy("google", email, all, { allowed: config.groups, keepOnlyAllowed: true });
}

async function identify(config: GoogleConfig, http: UpstreamHttp, directory: GoogleDirectory | undefined, tokens: Tokens, scopes: Scopes): Promise<Omit<Identity, "connectorData">> {
  const { body: info } = await getJSON<UserInfo>(http, "google", USERINFO, tokens.accessToken);
  if (typeof info.sub !== "string" || typeof info.email !== "string") throw new KubewardError("connector_callback_invalid", "google: the userinfo has no sub or email");
  if (info.email_verified !== true) throw new KubewardError("connector_refused", `google: ${info.email} is not verified`);
  const domains = config.hostedDomains;
  if (domains !== undefined && !domains.includes(info.hd ?? "")) throw new KubewardError("connector_refused", `google: ${info.email}'s hosted domain ${JSON.stringify(info.hd ?? null)} is not allowed`);
  const groups = await groupsOf(config, directory, info.email, scopes);
  return { userID: info.sub, username: info.name ?? info.email, email: info.email, emailVerified: true, groups: scopes.groups ? groups : [] };
}

/**
 * Opens a google connector.
 *
 * @throws {@link ConfigError} (paths relative to `config`) for an unreadable key file or fields that need each other.
 * @example
 * const c = await openGoogleConnector("google", "Google", { clientID, clientSecret, hostedDomains: ["example.com"], serviceAccountFilePath: "/etc/kubeward/sa.json", domainToAdminEmail: { "*": "admin@example.com" } }, deps);
 */
export async function openGoogleConnector(id: string, name: string, config: GoogleConfig, deps: ConnectorDeps): Promise<OAuth2Connector> {
  const key = await checkGoogleConfig(config);
  const http = upstreamHttp({}, deps.fetch);
  const directory = key === undefined ? undefined : new GoogleDirectory(key, http, deps.clock);
  return new OAuth2Connector(id, name, {
    type: "google",
    authorizationURL: "https://accounts.google.com/o/oauth2/v2/auth",
    token: { url: "https://oauth2.googleapis.com/token", clientID: config.clientID, clientSecret: config.clientSecret, auth: "post" },
    pkce: true,
    redirectURI: config.redirectURI,
    http,
    authParams: (scopes) => authParams(config, scopes),
    identify: (tokens, scopes) => identify(config, http, directory, tokens, scopes),
  }, deps);
}

/** The registry entry for `google`. */
export const googleConnectorType: ConnectorType<GoogleConfig> = { schema: googleConfigSchema, open: openGoogleConnector };
