/**
 * The identity stages in order: authenticate, refuse revoked and reserved
 * identities, authorize client impersonation, then build the upstream
 * headers. Shared by plain requests and upgrades.
 */
import { KubewardError } from "../errors.ts";
import type { HandlerContext } from "./context.ts";
import type { RawHeaders } from "./headers.ts";
import { authenticate, findToken } from "./stages/authenticate.ts";
import { checkReservedIdentity } from "./stages/reserved-identity.ts";
import { checkRevocation, subjectOf } from "./stages/revocation.ts";
import type { Subject } from "../revocation/index.ts";
import { authorizeImpersonation, hasImpersonationHeaders, parseImpersonation } from "./stages/client-impersonation.ts";
import { upstreamHeaders, type ForwardIdentity } from "./stages/impersonate.ts";
import type { Observation } from "./observe.ts";

/** What the identity stages produce: the headers to send upstream and whom the token belongs to. */
export interface IdentityOutcome {
  readonly headers: string[];
  /** The authenticated identity (not an impersonation target), for the open-connection registry. */
  readonly subject: Subject;
}

/** Runs the identity stages. Throws KubewardErrors. */
export async function identityStages(
  ctx: HandlerContext, raw: RawHeaders, clientAddress: string, obs: Observation, upgrade?: string,
): Promise<IdentityOutcome> {
  const found = counted(ctx, () => findToken(raw));
  const auth = await authenticate(ctx.authenticator, found);
  const { user } = auth;
  obs.setUser(user.username);
  const subject = subjectOf(auth);
  counted(ctx, () => checkRevocation(ctx.revocation, subject, ctx));
  counted(ctx, () => checkReservedIdentity(user, ctx.config.allowReservedIdentities));
  ctx.metrics.authentications.inc({ result: "success", reason: "ok" });
  const identity = await clientImpersonation(ctx, raw, user);
  const headers = upstreamHeaders(raw, identity, {
    extraUserHeaders: ctx.config.extraUserHeaders,
    clientAddress,
    ...(ctx.config.extraUserHeaderClientIp ? { clientIpExtra: clientAddress } : {}),
    websocketProtocols: found.websocketProtocols,
    ...(upgrade !== undefined ? { upgrade } : {}),
  });
  return { headers, subject };
}

async function clientImpersonation(ctx: HandlerContext, raw: RawHeaders, user: ForwardIdentity["user"]): Promise<ForwardIdentity> {
  if (!hasImpersonationHeaders(raw)) return { user };
  const requests = parseImpersonation(raw);
  if (requests.length === 0) return { user };
  const target = await authorizeImpersonation(user, requests, ctx.review, ctx.metrics);
  return { user: target, impersonator: user };
}

/** Runs a proxy-side check, counting its refusal (the authenticator counts its own; the acceptance is counted after the last check). */
function counted<T>(ctx: HandlerContext, check: () => T): T {
  try {
    return check();
  } catch (err) {
    if (err instanceof KubewardError) ctx.metrics.authentications.inc({ result: "failure", reason: err.code });
    throw err;
  }
}
