/**
 * The generic `oauth` connector: any OAuth2 provider with an authorization,
 * a token and a userinfo endpoint (as Dex's `oauth` connector), with state,
 * PKCE, claim paths into the userinfo JSON, and refresh.
 */
import type { ConnectorDeps, ConnectorType } from "../connector.ts";
import { OAuth2Connector } from "../oauth2-common/oauth2-connector.ts";
import { getJSON, upstreamHttp } from "../oauth2-common/upstream-http.ts";
import { identityFromUserInfo } from "./oauth-claims.ts";
import { checkOAuthConfig, oauthConfigSchema, type OAuthConfig } from "./oauth-config.ts";

/**
 * Opens an oauth connector.
 *
 * @throws {@link ConfigError} (paths relative to `config`) for unreadable root CAs or conflicting fields.
 * @example
 * const c = await openOAuthConnector("corp", "Corp SSO", { authorizationURL, tokenURL, userInfoURL, clientID, clientSecret, claimMapping: { userNameKey: "data.login" } }, deps);
 */
export async function openOAuthConnector(id: string, name: string, config: OAuthConfig, deps: ConnectorDeps): Promise<OAuth2Connector> {
  const http = upstreamHttp({ caPem: await checkOAuthConfig(config), insecureSkipVerify: config.insecureSkipVerify }, deps.fetch);
  return new OAuth2Connector(id, name, {
    type: "oauth",
    authorizationURL: config.authorizationURL,
    token: { url: config.tokenURL, clientID: config.clientID, clientSecret: config.clientSecret, auth: "auto" },
    pkce: true,
    redirectURI: config.redirectURI,
    http,
    authParams: () => (config.scopes !== undefined && config.scopes.length > 0 ? { scope: config.scopes.join(" ") } : {}),
    identify: async (tokens, scopes) => {
      const { body } = await getJSON<unknown>(http, "oauth", config.userInfoURL, tokens.accessToken);
      return identityFromUserInfo(body, config, scopes);
    },
  }, deps);
}

/** The registry entry for `oauth`. */
export const oauthConnectorType: ConnectorType<OAuthConfig> = { schema: oauthConfigSchema, open: openOAuthConnector };
