/**
 * Finishes what the token and device-authorization endpoints answer: every
 * ID token oidc-provider signs gets `jti`, `nbf` and `auth_time` before it is
 * signed (one signature per token); one asking for trusted peers gets them in
 * `aud` (with `azp`) and is signed again with the active key, since
 * oidc-provider fixes `aud` to the client; device authorizations announce
 * their polling interval; issued tokens are counted.
 */
import { randomUUID } from "node:crypto";
import { decodeJwt } from "jose";
import type { IdTokenInstance, OidcContext, Provider } from "oidc-provider";
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

/**
 * Makes `provider`'s ID tokens carry kubeward's claims: `jti`, `nbf` equal to
 * `iat`, and `auth_time` whenever the login time is known (oidc-provider adds
 * it only when asked for). Set as extra claims, so the token is signed once.
 */
export function addIdTokenClaims(provider: Provider): void {
  const proto = provider.IdToken.prototype;
  const issue = proto.issue;
  proto.issue = function issueWithClaims(this: IdTokenInstance, options) {
    if (options.use === "idtoken") {
      const now = Math.floor(Date.now() / 1000);
      this.set("jti", randomUUID());
      this.set("iat", now);
      this.set("nbf", now);
      const authTime = this.available.auth_time;
      if (typeof authTime === "number") this.set("auth_time", authTime);
    }
    return issue.call(this, options);
  };
}

/** Puts the trusted peers in an ID token's audience and signs it again with the active key. */
async function withPeers(deps: TokenResponseDeps, idToken: string, peers: readonly string[]): Promise<string> {
  const claims: Record<string, unknown> = { ...decodeJwt(idToken) };
  const clientId = String(claims.aud);
  claims.aud = [...new Set([...peers, clientId])];
  claims.azp = clientId;
  return deps.signer.sign(claims);
}

/** The oidc-provider middleware applying {@link withPeers} and friends. */
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
    if (typeof body.id_token !== "string") return;
    const peers = trustedAudience(typeof body.scope === "string" ? body.scope : "", ctx.oidc.client?.clientId ?? "", deps.clients);
    if (peers.length > 0) body.id_token = await withPeers(deps, body.id_token, peers);
  };
}
