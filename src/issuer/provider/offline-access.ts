/**
 * OpenID Connect ignores `offline_access` unless `prompt=consent` is sent, and
 * oidc-provider follows that; kubectl plugins such as kubelogin never send it,
 * and Dex honours the scope without it. So an authorization request asking for
 * `offline_access` without any `prompt` is treated as asking for consent: the
 * approval screen (or the client's skipApproval) is that consent.
 */
import type { OidcContext } from "oidc-provider";

interface QueryContext extends OidcContext {
  query: Record<string, string | string[] | undefined>;
}

/** oidc-provider middleware adding `prompt=consent` to such requests. */
export async function offlineAccessConsent(ctx: OidcContext, next: () => Promise<void>): Promise<void> {
  const q = ctx as QueryContext;
  if (ctx.method === "GET" && ctx.path === "/auth") {
    const scope = q.query.scope;
    if (typeof scope === "string" && scope.split(" ").includes("offline_access") && q.query.prompt === undefined) {
      q.query = { ...q.query, prompt: "consent" };
    }
  }
  await next();
}
