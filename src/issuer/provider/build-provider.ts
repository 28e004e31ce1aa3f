/**
 * Builds the oidc-provider instance: kubeward's settings, seams and grant
 * types on oidc-provider's configuration. A new instance is built whenever the
 * published keys change (oidc-provider reads `jwks` only at construction).
 */
import { interactionPolicy, Provider, type OidcContext } from "oidc-provider";
import type { ResolvedIssuerConfig } from "../config.ts";
import type { OidcAdapterClass } from "../storage/oidc-adapter.ts";
import type { Signer } from "../signer/signer.ts";
import type { OidcAccount } from "./accounts.ts";
import { AUDIENCE_SCOPE_PREFIX, BASE_SCOPES, type SecretVerifier } from "./clients.ts";
import { addIdTokenClaims } from "./token-response.ts";

type Middleware = (ctx: OidcContext, next: () => Promise<void>) => Promise<void>;

/** A grant type kubeward adds to oidc-provider. */
export interface ExtraGrant {
  readonly name: string;
  readonly handler: (ctx: OidcContext) => Promise<void>;
  readonly params: readonly string[];
}

/** Everything the provider is built from. */
export interface ProviderParts {
  readonly config: ResolvedIssuerConfig;
  readonly signer: Signer;
  readonly adapter: OidcAdapterClass;
  readonly cookieKeys: readonly string[];
  readonly prefix: string;
  findAccount(ctx: unknown, sub: string, token?: unknown): Promise<OidcAccount | undefined>;
  readonly pages: Record<"renderError" | "userCodeInputSource" | "userCodeConfirmSource" | "successSource", (...args: never[]) => void>;
  readonly grants: readonly ExtraGrant[];
  readonly middleware: readonly Middleware[];
  /** Checks client secrets; one per issuer, so its memory outlives provider rebuilds. */
  readonly verifySecret: SecretVerifier;
}

/** Every browser authorization logs in again (as Dex): the identity is always fresh from the connector. */
function policy() {
  const prompts = interactionPolicy.base();
  const login = prompts.find((p) => p.name === "login");
  login?.checks.add(new interactionPolicy.Check("kubeward_login", "each authorization logs in", (ctx) => {
    const result = (ctx as unknown as { oidc: { result?: { login?: unknown } } }).oidc.result;
    return result?.login === undefined;
  }), 0);
  return prompts;
}

function refreshTtl(config: ResolvedIssuerConfig) {
  return (_ctx: unknown, token: { iiat?: number; iat?: number }): number => {
    const idle = Math.floor(config.refreshIdleTtlMs / 1000);
    const start = token.iiat ?? token.iat ?? Math.floor(Date.now() / 1000);
    const left = start + Math.floor(config.refreshAbsoluteTtlMs / 1000) - Math.floor(Date.now() / 1000);
    return Math.max(1, Math.min(idle, left));
  };
}

/** A client may revoke only tokens issued to it. */
function ownTokensOnly(_ctx: unknown, client: { clientId: string }, token: { clientId?: string }): boolean {
  return token.clientId === client.clientId;
}

/** Confidential clients (resource servers) may introspect any token; public clients only their own. */
function introspectionAllowed(_ctx: unknown, client: { clientId: string; clientAuthMethod?: string }, token: { clientId?: string }): boolean {
  return client.clientAuthMethod !== "none" || token.clientId === client.clientId;
}

function configuration(p: ProviderParts): Record<string, unknown> {
  const { config } = p;
  const ttl = Math.floor(config.idTokenTtlMs / 1000);
  return {
    adapter: p.adapter,
    findAccount: p.findAccount,
    clients: [],
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name", "preferred_username"], groups: ["groups"] },
    scopes: [...BASE_SCOPES, ...config.clients.map((c) => AUDIENCE_SCOPE_PREFIX + c.id)],
    conformIdTokenClaims: false,
    responseTypes: ["code"],
    clientAuthMethods: ["client_secret_basic", "client_secret_post", "none"],
    allowOmittingSingleRegisteredRedirectUri: false,
    cookies: { keys: [...p.cookieKeys] },
    jwks: { keys: p.signer.published().map((k) => ({ ...k.privateJwk, kid: k.kid, alg: k.alg, use: "sig" })) },
    pkce: { required: (_ctx: unknown, client: { clientAuthMethod?: string }) => client.clientAuthMethod === "none" },
    rotateRefreshToken: true,
    issueRefreshToken: (_ctx: unknown, client: { grantTypeAllowed(t: string): boolean }, code: { scopes: Set<string> }) =>
      client.grantTypeAllowed("refresh_token") && code.scopes.has("offline_access"),
    loadExistingGrant: async (ctx: { oidc: { result?: { consent?: { grantId?: string } }; provider: Provider } }) => {
      const grantId = ctx.oidc.result?.consent?.grantId;
      return grantId === undefined ? undefined : ctx.oidc.provider.Grant.find(grantId);
    },
    clientBasedCORS: (_ctx: unknown, origin: string, client: { redirectUris?: string[] }) =>
      (client.redirectUris ?? []).some((u) => URL.parse(u)?.origin === origin),
    ttl: {
      AccessToken: ttl, IdToken: ttl, AuthorizationCode: 60, ClientCredentials: ttl,
      DeviceCode: Math.floor(config.deviceCodeTtlMs / 1000), Interaction: 30 * 60, Session: 30 * 60,
      Grant: Math.floor(config.refreshAbsoluteTtlMs / 1000), RefreshToken: refreshTtl(config),
    },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `${p.prefix}/login/${interaction.uid}`, policy: policy() },
    renderError: p.pages.renderError,
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: { enabled: false },
      introspection: { enabled: true, allowedPolicy: introspectionAllowed },
      revocation: { enabled: true, allowedPolicy: ownTokensOnly },
      userinfo: { enabled: true },
      clientCredentials: { enabled: true },
      deviceFlow: {
        enabled: true, charset: "base-20", mask: "****-****",
        userCodeInputSource: p.pages.userCodeInputSource, userCodeConfirmSource: p.pages.userCodeConfirmSource, successSource: p.pages.successSource,
      },
    },
  };
}

/** A configured oidc-provider instance with the published keys, kubeward's grants and middleware. */
export function buildProvider(p: ProviderParts): Provider {
  const provider = new Provider(p.config.issuerURL, configuration(p));
  provider.Client.prototype.compareClientSecret = function compare(this: { clientSecret?: string }, presented: string) {
    return p.verifySecret(this.clientSecret, presented);
  };
  addIdTokenClaims(provider);
  for (const g of p.grants) provider.registerGrantType(g.name, g.handler, g.params);
  for (const m of p.middleware) provider.use(m);
  return provider;
}
