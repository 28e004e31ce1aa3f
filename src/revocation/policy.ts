/**
 * The issuer's side of revocation: a hook the embedded issuer asks before it
 * issues any token for a login (code, device code, refresh), so a revoked
 * login's refresh token fails with invalid_grant and a blocked user cannot log in.
 */
import type { Clock } from "../clock.ts";
import type { Refusal, Subject } from "./index.ts";
import type { RevocationSync } from "./sync.ts";

/** The identity claims the issuer would put in a token (sub, email, groups…). */
export type IssuerClaims = Readonly<Record<string, unknown>>;

/** What the issuer asks. */
export interface RevocationPolicy {
  /**
   * Why tokens may no longer be issued for a login made at `loginAt` (epoch
   * ms) by the user these claims describe, or undefined when they may.
   */
  refusal(claims: IssuerClaims, loginAt: number): Refusal | undefined;
}

/** How the issuer's claims become the Kubernetes username and groups the proxy matches on. */
export type ClaimsToSubject = (claims: IssuerClaims) => Omit<Subject, "issuedAt">;

/**
 * A policy over the same synced list the proxy uses. `toSubject` must map
 * claims exactly as the proxy's OIDC config for this issuer does (in
 * `kubeward serve`, `mapClaims` with that config), so both sides agree.
 *
 * @example
 * const policy = createRevocationPolicy(guard.sync, (c) => mapClaims(c, proxyIssuerConfig), systemClock);
 * createIssuer(config, { ...deps, revocation: policy });
 */
export function createRevocationPolicy(sync: RevocationSync, toSubject: ClaimsToSubject, clock: Clock): RevocationPolicy {
  return {
    refusal(claims, loginAt) {
      let subject: Omit<Subject, "issuedAt">;
      try {
        subject = toSubject(claims);
      } catch {
        // Claims the proxy cannot map match no user or group there, but `all` still applies.
        subject = { username: "", groups: [] };
      }
      return sync.index.check({ ...subject, issuedAt: loginAt }, clock.now());
    },
  };
}
