/**
 * Finishes what the token and device-authorization endpoints answer: ID
 * tokens get `jti`, `nbf`, `auth_time` and, for trusted peers, the peers in
 * `aud` (with `azp`), signed again with the active key; device authorizations
 * announce their polling interval; issued tokens are counted.
 */
import { randomUUID } from "node:crypto";
import { decodeJwt } from "jose";
import type { OidcContext } from "oidc-provider";
import type { IssuerClientConfig } from "../config.ts";
import type { IssuerMetrics } from "../metrics.ts";
import type { Signer } from "../signer/signer.ts";
import { AUDIENCE_SCOPE_PREFIX } from "./clients.ts";

/** What the finishing step needs. */
export interface TokenResponseDeps {
  readonly signer: Signer;
  readonly clients: readonly IssuerClientConfig[];
  readonly metrics: IssuerMetrics;
  readonly devicePollIntervalMs: number;
}

/** The peers among `scope`'s audience scopes that trust `clientId`. */
export function trustedAudience(scope: string, clientId: string, clients: readonly IssuerClientConfig[]): string[] {
  return scope.split(" ")
    .filter((s) => s.startsWith(AUDIENCE_SCOPE_PREFIX))
    .map((s) => s.slice(AUDIENCE_SCOPE_PREFIX.length))
    .filter((peer) => clients.find((c) => c.id === peer)?.trustedPeers?.includes(clientId) === true);
}

function authTimeOf(ctx: OidcContext): number | undefined {
  for (const kind of ["AuthorizationCode", "DeviceCode", "RefreshToken"]) {
    const t = ctx.oidc.entities[kind]?.authTime;
    if (typeof t === "number") return t;
  }
  return undefined;
}

/** Re-signs an ID token oidc-provider produced, with kubeward's extra claims. */
async function finishIdToken(deps: TokenResponseDeps, idToken: string, scope: string, authTime: number | undefined): Promise<string> {
  const claims: Record<string, unknown> = { ...decodeJwt(idToken) };
  const clientId = String(claims.aud);
  const peers = trustedAudience(scope, clientId, deps.clients);
  if (peers.length > 0) {
    claims.aud = [...new Set([...peers, clientId])];
    claims.azp = clientId;
  }
  claims.nbf = claims.iat;
  claims.jti = randomUUID();
  if (claims.auth_time === undefined && authTime !== undefined) claims.auth_time = authTime;
  return deps.signer.sign(claims);
}

/** The oidc-provider middleware applying {@link finishIdToken} and friends. */
export function tokenResponseMiddleware(deps: TokenResponseDeps) {
  return async (ctx: OidcContext, next: () => Promise<void>): Promise<void> => {
    await next();
    if (ctx.status !== 200 || typeof ctx.body !== "object" || ctx.body === null) return;
    const body = ctx.body as Record<string, unknown>;
    if (ctx.oidc?.route === "device_authorization") {
      body.interval = Math.ceil(deps.devicePollIntervalMs / 1000);
      return;
    }
    if (ctx.oidc?.route !== "token") return;
    deps.metrics.tokenIssued(String(ctx.oidc.params?.grant_type ?? "other"));
    if (typeof body.id_token === "string") {
      body.id_token = await finishIdToken(deps, body.id_token, typeof body.scope === "string" ? body.scope : "", authTimeOf(ctx));
    }
  };
}
