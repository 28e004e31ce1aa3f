/**
 * The end of a browser login: the approval screen (skipped for clients that
 * ask so), and finishing the interaction — a grant and its login record on
 * approval, `access_denied` on denial.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Connector, Identity } from "../connectors/connector.ts";
import { createFamily } from "../provider/families.ts";
import { AUDIENCE_SCOPE_PREFIX } from "../provider/clients.ts";
import { subjectFor } from "../subject.ts";
import { contentSecurityPolicy } from "./layout.ts";
import { redirect, sendPage } from "./http.ts";
import { approvalPage, errorPage } from "./pages.ts";
import { identityClaims } from "../provider/accounts.ts";
import { clientName, type InteractionView, type WebDeps } from "./context.ts";

const SCOPE_TEXT: Readonly<Record<string, string>> = {
  openid: "Confirm your identity",
  profile: "See your name and username",
  email: "See your email address",
  groups: "See the groups you belong to",
  offline_access: "Stay signed in (refresh tokens)",
};

function describe(scope: string): string[] {
  return scope.split(" ").filter(Boolean).map((s) =>
    s.startsWith(AUDIENCE_SCOPE_PREFIX) ? `Act for ${s.slice(AUDIENCE_SCOPE_PREFIX.length)}` : SCOPE_TEXT[s] ?? `Use the "${s}" scope`);
}

/** Creates the grant and login record, and lets oidc-provider resume the authorization. */
export async function approve(deps: WebDeps, req: IncomingMessage, res: ServerResponse, view: InteractionView, connectorId: string, identity: Identity): Promise<void> {
  const provider = deps.provider();
  const sub = subjectFor(connectorId, identity.userID);
  const grant = new provider.Grant({ accountId: sub, clientId: view.client.clientId });
  grant.addOIDCScope(String(view.details.params.scope ?? "openid"));
  const grantId = await grant.save();
  await createFamily(deps.storage, {
    grantId, subject: sub, connectorId, identity, now: deps.clock.now(), absoluteTtlMs: deps.config.refreshAbsoluteTtlMs, sealer: deps.sealer,
  });
  await provider.interactionFinished(req, res, { login: { accountId: sub }, consent: { grantId } }, { mergeWithLastSubmission: false });
}

/** Ends the interaction with `access_denied`. */
export async function deny(deps: WebDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  await deps.provider().interactionFinished(req, res, { error: "access_denied", error_description: "the user denied the request" }, { mergeWithLastSubmission: false });
}

/** After a connector vouched for the user: approve at once, or keep the identity and show the approval screen. */
export async function loggedIn(deps: WebDeps, req: IncomingMessage, res: ServerResponse, view: InteractionView, connector: Connector, identity: Identity): Promise<void> {
  const refusal = deps.revocation?.refusal(identityClaims(subjectFor(connector.id, identity.userID), identity), deps.clock.now());
  if (refusal !== undefined) {
    deps.logger.info({ connector: connector.id, kind: refusal.kind, revocation: refusal.id }, "login refused: identity blocked");
    sendPage(res, 403, contentSecurityPolicy(deps.config.theme), errorPage(deps.page, "Sign-in refused",
      "An administrator has blocked access for this account. Ask them to lift the block.", "identity_blocked"));
    return;
  }
  deps.metrics.login(connector.id, "success");
  const config = deps.config.clients.find((c) => c.id === view.client.clientId);
  if (config?.skipApproval === true) {
    await approve(deps, req, res, view, connector.id, identity);
    return;
  }
  await deps.provider().interactionResult(req, res, { kubeward: { connectorId: connector.id, sealed: deps.sealer.seal(identity) } }, { mergeWithLastSubmission: false });
  redirect(res, `${deps.prefix}/login/${view.uid}`);
}

/** The approval screen for a logged-in interaction. */
export function renderApproval(deps: WebDeps, res: ServerResponse, view: InteractionView, identity: Identity): void {
  const base = `${deps.prefix}/login/${encodeURIComponent(view.uid)}`;
  sendPage(res, 200, contentSecurityPolicy(deps.config.theme, view.client.redirectUris), approvalPage(deps.page, {
    approveAction: `${base}/approve`, denyAction: `${base}/deny`, csrf: deps.csrf.token(view.uid),
    clientName: clientName(view.client), username: identity.email ?? identity.username,
    grants: describe(String(view.details.params.scope ?? "openid")),
  }));
}
