/**
 * The login steps: choosing a connector, the password form, and the round
 * trip through a callback connector's upstream.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { KubewardError } from "../../errors.ts";
import { isCallbackConnector, isPasswordConnector, type Connector, type Identity, type PasswordConnector } from "../connectors/connector.ts";
import { scopesOf } from "../provider/families.ts";
import { approve, loggedIn, renderApproval } from "./approval.ts";
import { clientName, openPending, type InteractionView, type WebDeps } from "./context.ts";
import { redirect, sendPage } from "./http.ts";
import { contentSecurityPolicy } from "./layout.ts";
import { connectorChoicePage, errorPage, passwordPage } from "./pages.ts";

function connectorOf(deps: WebDeps, id: string): Connector {
  const connector = deps.connectors.get(id);
  if (connector === undefined) throw new KubewardError("request_invalid", `unknown connector ${id}`);
  return connector;
}

/** The fixed callback URL of a connector. */
export function callbackURL(deps: WebDeps, connectorId: string): string {
  return `${deps.config.issuerURL}/callback/${encodeURIComponent(connectorId)}`;
}

interface FormState {
  readonly username?: string;
  readonly error?: string;
}

function renderPassword(deps: WebDeps, res: ServerResponse, view: InteractionView, c: PasswordConnector, status: number, state: FormState): void {
  const base = `${deps.prefix}/login/${encodeURIComponent(view.uid)}`;
  sendPage(res, status, contentSecurityPolicy(deps.config.theme, view.client.redirectUris), passwordPage(deps.page, {
    action: `${base}/password/${encodeURIComponent(c.id)}`, csrf: deps.csrf.token(view.uid),
    clientName: clientName(view.client), connectorName: c.name, usernamePrompt: c.usernamePrompt,
    ...state, ...(deps.connectors.size > 1 ? { backHref: base } : {}),
  }));
}

/** GET /login/:uid — the approval screen after a login, else the connector choice (skipped with one connector). */
export async function showLogin(deps: WebDeps, req: IncomingMessage, res: ServerResponse, view: InteractionView): Promise<void> {
  const pending = view.pending;
  if (pending?.identity !== undefined) {
    const skip = deps.config.clients.find((c) => c.id === view.client.clientId)?.skipApproval === true;
    if (skip) await approve(deps, req, res, view, pending.connectorId, pending.identity);
    else renderApproval(deps, res, view, pending.identity);
    return;
  }
  const [only] = deps.connectors.values();
  if (deps.connectors.size === 1 && only !== undefined) {
    await startConnector(deps, req, res, view, only.id);
    return;
  }
  const base = `${deps.prefix}/login/${encodeURIComponent(view.uid)}`;
  const choices = [...deps.connectors.values()].map((c) => ({ name: c.name, href: `${base}/connector/${encodeURIComponent(c.id)}` }));
  sendPage(res, 200, contentSecurityPolicy(deps.config.theme, view.client.redirectUris), connectorChoicePage(deps.page, clientName(view.client), choices));
}

/** GET /login/:uid/connector/:id — the password form, or off to the upstream. */
export async function startConnector(deps: WebDeps, req: IncomingMessage, res: ServerResponse, view: InteractionView, connectorId: string): Promise<void> {
  const connector = connectorOf(deps, connectorId);
  if (isPasswordConnector(connector)) {
    renderPassword(deps, res, view, connector, 200, {});
    return;
  }
  if (!isCallbackConnector(connector)) throw new KubewardError("internal", `connector ${connectorId} has no login method`);
  const scopes = scopesOf(String(view.details.params.scope ?? ""));
  const state = `${view.uid}.${deps.csrf.token(view.uid)}`;
  const { url, saved } = await connector.loginURL(scopes, callbackURL(deps, connector.id), state);
  await deps.provider().interactionResult(req, res, { kubeward: { connectorId: connector.id, sealed: deps.sealer.seal(saved) } }, { mergeWithLastSubmission: false });
  redirect(res, url);
}

/** POST /login/:uid/password/:id — checks the credentials; a wrong password shows the form again. */
export async function submitPassword(deps: WebDeps, req: IncomingMessage, res: ServerResponse, view: InteractionView, connectorId: string, form: URLSearchParams): Promise<void> {
  const connector = connectorOf(deps, connectorId);
  if (!isPasswordConnector(connector)) throw new KubewardError("request_invalid", `connector ${connectorId} takes no password`);
  const username = form.get("login") ?? "";
  const password = form.get("password") ?? "";
  if (username === "" || password === "") {
    renderPassword(deps, res, view, connector, 400, { username, error: "Enter your username and password." });
    return;
  }
  let identity;
  try {
    identity = await connector.login(scopesOf(String(view.details.params.scope ?? "")), username, password);
  } catch (e) {
    deps.metrics.login(connector.id, "error");
    throw e;
  }
  if (identity === undefined) {
    deps.metrics.login(connector.id, "failure");
    renderPassword(deps, res, view, connector, 401, { username, error: "Invalid username or password." });
    return;
  }
  await loggedIn(deps, req, res, view, connector, identity);
}

/** The interaction uid in a callback's state, which kubeward signed when it sent the browser upstream. */
function uidFromState(deps: WebDeps, state: string | null): string {
  const [uid, mac] = (state ?? "").split(".");
  if (uid === undefined || uid === "" || !deps.csrf.valid(uid, mac)) throw new KubewardError("request_invalid", "callback state is not valid");
  return uid;
}

/** GET /callback/:connectorId — sends the browser on to its interaction's path, where the interaction cookie is sent. */
export function forwardCallback(deps: WebDeps, res: ServerResponse, connectorId: string, url: URL): void {
  const uid = uidFromState(deps, url.searchParams.get("state"));
  redirect(res, `${deps.prefix}/login/${encodeURIComponent(uid)}/callback/${encodeURIComponent(connectorId)}${url.search}`);
}

/**
 * POST /callback/:connectorId — an upstream that has the browser post its
 * answer (SAML's HTTP-POST binding, state in RelayState). Cookies do not come
 * along on such a cross-site POST, so the interaction is found from the signed
 * state; the identity is kept in it and the browser goes on with a GET.
 */
export async function postCallback(deps: WebDeps, res: ServerResponse, connectorId: string, url: URL, form: URLSearchParams): Promise<void> {
  const uid = uidFromState(deps, url.searchParams.get("state") ?? form.get("RelayState") ?? form.get("state"));
  const interaction = await deps.provider().Interaction.find(uid);
  const pending = openPending(interaction?.result?.kubeward as Record<string, unknown> | undefined, deps.sealer);
  const connector = connectorOf(deps, connectorId);
  if (interaction === undefined || !isCallbackConnector(connector) || pending?.connectorId !== connectorId || pending.saved === undefined) {
    throw new KubewardError("request_invalid", "callback does not match a login in progress");
  }
  const scopes = scopesOf(String(interaction.params.scope ?? ""));
  const identity = await upstreamIdentity(deps, res, connector, () => connector.handleCallback(scopes, callbackURL(deps, connectorId), url, pending.saved ?? {}, form));
  if (identity === undefined) return;
  deps.metrics.login(connector.id, "success");
  interaction.result = { kubeward: { connectorId, sealed: deps.sealer.seal(identity) } };
  await interaction.persist();
  redirect(res, `${deps.prefix}/login/${encodeURIComponent(uid)}`);
}

/** Runs a callback connector's check; on refusal shows the failure page and resolves undefined. */
async function upstreamIdentity(deps: WebDeps, res: ServerResponse, connector: Connector, check: () => Promise<Identity>): Promise<Identity | undefined> {
  try {
    return await check();
  } catch (e) {
    deps.metrics.login(connector.id, "failure");
    deps.logger.info({ connector: connector.id, reason: (e as { code?: string }).code ?? "error", detail: (e as { detail?: string }).detail }, "upstream login failed");
    sendPage(res, 401, contentSecurityPolicy(deps.config.theme), errorPage(deps.page, "Sign-in failed",
      `${connector.name} did not sign you in. Go back to the application and try again.`));
    return undefined;
  }
}

/** GET /login/:uid/callback/:id — the upstream's answer becomes an identity. */
export async function finishCallback(deps: WebDeps, req: IncomingMessage, res: ServerResponse, view: InteractionView, connectorId: string, url: URL): Promise<void> {
  const connector = connectorOf(deps, connectorId);
  if (!isCallbackConnector(connector) || view.pending?.connectorId !== connectorId || view.pending.saved === undefined) {
    throw new KubewardError("request_invalid", "callback does not match the login in progress");
  }
  const scopes = scopesOf(String(view.details.params.scope ?? ""));
  const saved = view.pending.saved;
  const identity = await upstreamIdentity(deps, res, connector, () => connector.handleCallback(scopes, callbackURL(deps, connectorId), url, saved));
  if (identity !== undefined) await loggedIn(deps, req, res, view, connector, identity);
}
