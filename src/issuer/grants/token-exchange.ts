/**
 * RFC 8693 token exchange: a client trades an ID token kubeward issued to it
 * for an ID token with another audience — itself, or a client that lists it
 * among its trusted peers. The new token keeps the subject's claims.
 */
import { randomUUID } from "node:crypto";
import { createLocalJWKSet, jwtVerify, type JWTPayload } from "jose";
import { errors, type OidcContext } from "oidc-provider";
import type { Clock } from "../../clock.ts";
import type { IssuerClientConfig } from "../config.ts";
import type { Signer } from "../signer/signer.ts";

/** The token type URN of an ID token (RFC 8693 §3). */
export const ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token";

/** The parameters the grant reads. */
export const TOKEN_EXCHANGE_PARAMS = ["subject_token", "subject_token_type", "requested_token_type", "audience", "scope"] as const;

/** What token exchange needs. */
export interface TokenExchangeDeps {
  readonly issuerURL: string;
  readonly signer: Signer;
  readonly clock: Clock;
  readonly clients: readonly IssuerClientConfig[];
  readonly idTokenTtlMs: number;
}

const REISSUED = new Set(["iss", "aud", "exp", "iat", "nbf", "jti", "azp", "at_hash", "c_hash", "s_hash", "nonce"]);

async function verifySubject(deps: TokenExchangeDeps, token: string, clientId: string): Promise<JWTPayload> {
  try {
    const { payload } = await jwtVerify(token, createLocalJWKSet(deps.signer.publicJwks()), {
      issuer: deps.issuerURL, audience: clientId, currentDate: new Date(deps.clock.now()),
    });
    return payload;
  } catch {
    throw new errors.InvalidGrant("subject_token is not a valid ID token issued to this client");
  }
}

function checkTypes(params: Record<string, unknown>): void {
  if (params.subject_token_type !== ID_TOKEN_TYPE) throw new errors.InvalidRequest(`subject_token_type must be ${ID_TOKEN_TYPE}`);
  const requested = params.requested_token_type;
  if (requested !== undefined && requested !== ID_TOKEN_TYPE) throw new errors.InvalidRequest(`requested_token_type must be ${ID_TOKEN_TYPE}`);
  if (typeof params.subject_token !== "string" || params.subject_token === "") throw new errors.InvalidRequest("subject_token is required");
}

function targetAudience(deps: TokenExchangeDeps, requested: unknown, clientId: string): string {
  if (requested === undefined || requested === clientId) return clientId;
  const target = deps.clients.find((c) => c.id === requested);
  if (target?.trustedPeers?.includes(clientId) !== true) throw new errors.InvalidTarget("the audience does not trust this client");
  return target.id;
}

/** The oidc-provider grant handler. */
export function tokenExchangeGrant(deps: TokenExchangeDeps) {
  return async (ctx: OidcContext): Promise<void> => {
    const params = ctx.oidc.params ?? {};
    const client = ctx.oidc.client;
    if (client === undefined) throw new errors.InvalidRequest("client authentication is required");
    checkTypes(params);
    const audience = targetAudience(deps, params.audience, client.clientId);
    const subject = await verifySubject(deps, String(params.subject_token), client.clientId);
    const now = Math.floor(deps.clock.now() / 1000);
    const ttl = Math.floor(deps.idTokenTtlMs / 1000);
    const claims = Object.fromEntries(Object.entries(subject).filter(([k]) => !REISSUED.has(k)));
    const token = await deps.signer.sign({
      ...claims, iss: deps.issuerURL, aud: audience, azp: client.clientId, iat: now, nbf: now, exp: now + ttl, jti: randomUUID(),
    });
    ctx.body = { access_token: token, issued_token_type: ID_TOKEN_TYPE, token_type: "N_A", expires_in: ttl };
  };
}
