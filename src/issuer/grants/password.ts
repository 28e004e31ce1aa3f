/**
 * `grant_type=password` (as Dex's `oauth2.passwordConnector`): the configured
 * password connector checks the credentials, and the client gets the same
 * tokens a browser login would give, its ID token finished like every other.
 */
import type { RevocationPolicy } from "../../revocation/policy.ts";
import { errors, type OidcContext } from "oidc-provider";
import type { Clock } from "../../clock.ts";
import type { Logger } from "../../log/logger.ts";
import type { IssuerClientConfig } from "../config.ts";
import type { Identity, PasswordConnector } from "../connectors/connector.ts";
import type { IssuerMetrics } from "../metrics.ts";
import { identityClaims } from "../provider/accounts.ts";
import { createFamily, scopesOf } from "../provider/families.ts";
import type { Sealer } from "../provider/sealing.ts";
import type { Storage } from "../storage/storage.ts";
import { subjectFor } from "../subject.ts";
import { allowedScope } from "./scope.ts";

/** What the password grant needs. */
export interface PasswordGrantDeps {
  readonly connector: PasswordConnector;
  readonly storage: Storage;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: IssuerMetrics;
  readonly clients: readonly IssuerClientConfig[];
  readonly refreshAbsoluteTtlMs: number;
  readonly sealer: Sealer;
  /** Revocations and blocks: a blocked user gets invalid_grant. */
  readonly revocation?: RevocationPolicy;
}

/** The parameters the grant reads. */
export const PASSWORD_GRANT_PARAMS = ["username", "password", "scope"] as const;

async function login(deps: PasswordGrantDeps, scope: string, username: string, password: string): Promise<Identity> {
  let identity: Identity | undefined;
  try {
    identity = await deps.connector.login(scopesOf(scope), username, password);
  } catch (e) {
    deps.metrics.login(deps.connector.id, "error");
    deps.logger.warn({ connector: deps.connector.id, reason: (e as { code?: string }).code ?? "error" }, "password grant: the connector failed");
    throw new errors.CustomOIDCProviderError("temporarily_unavailable", "the identity provider could not check the credentials");
  }
  if (identity === undefined) {
    deps.metrics.login(deps.connector.id, "failure");
    throw new errors.InvalidGrant("invalid username or password");
  }
  deps.metrics.login(deps.connector.id, "success");
  return identity;
}

/** The oidc-provider grant handler. */
export function passwordGrant(deps: PasswordGrantDeps) {
  return async (ctx: OidcContext): Promise<void> => {
    const { provider, params = {} } = ctx.oidc;
    const client = ctx.oidc.client;
    if (client === undefined) throw new errors.InvalidRequest("client authentication is required");
    const { username, password } = params;
    if (typeof username !== "string" || username === "" || typeof password !== "string" || password === "") {
      throw new errors.InvalidRequest("username and password are required");
    }
    const scope = allowedScope(params.scope, client.clientId, deps.clients);
    const identity = await login(deps, scope, username, password);
    const sub = subjectFor(deps.connector.id, identity.userID);
    if (deps.revocation?.refusal(identityClaims(sub, identity), deps.clock.now()) !== undefined) {
      throw new errors.InvalidGrant("access for this account is blocked by an administrator");
    }
    const grant = new provider.Grant({ accountId: sub, clientId: client.clientId });
    grant.addOIDCScope(scope);
    const grantId = await grant.save();
    const now = deps.clock.now();
    await createFamily(deps.storage, { grantId, subject: sub, connectorId: deps.connector.id, identity, now, absoluteTtlMs: deps.refreshAbsoluteTtlMs, sealer: deps.sealer });
    const common = { accountId: sub, client, grantId, gty: "password", scope, authTime: Math.floor(now / 1000) };
    const at = new provider.AccessToken(common);
    const accessToken = await at.save();
    const scopes = new Set(scope.split(" "));
    const refreshToken = scopes.has("offline_access") && client.grantTypeAllowed("refresh_token")
      ? await new provider.RefreshToken({ ...common, rotations: 0 }).save()
      : undefined;
    let idToken: string | undefined;
    if (scopes.has("openid")) {
      const token = new provider.IdToken({ ...identityClaims(sub, identity), auth_time: common.authTime }, { ctx });
      token.scope = scope;
      idToken = await token.issue({ use: "idtoken" });
    }
    ctx.body = { access_token: accessToken, token_type: "Bearer", expires_in: at.expiration, scope, id_token: idToken, refresh_token: refreshToken };
  };
}
