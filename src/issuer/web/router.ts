/**
 * The issuer's own routes in front of oidc-provider: the stylesheet and the
 * login pages. Every POST needs the interaction's CSRF token; every failure
 * becomes a readable page, with the detail only in the log.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { isKubewardError, KubewardError } from "../../errors.ts";
import { approve, deny } from "./approval.ts";
import { loadInteraction, type InteractionView, type WebDeps } from "./context.ts";
import { CALLBACK_FORM_LIMIT, readForm, sendPage } from "./http.ts";
import { contentSecurityPolicy } from "./layout.ts";
import { finishCallback, forwardCallback, postCallback, showLogin, startConnector, submitPassword } from "./login.ts";
import { errorPage } from "./pages.ts";
import { themeCss } from "./theme.ts";

type Handler = (deps: WebDeps, req: IncomingMessage, res: ServerResponse, view: InteractionView, arg: string, form: URLSearchParams, url: URL) => Promise<void>;

const INTERACTION_ROUTES: ReadonlyArray<{ method: string; pattern: RegExp; handler: Handler }> = [
  { method: "GET", pattern: /^\/login\/([^/]+)$/, handler: (d, q, s, v) => showLogin(d, q, s, v) },
  { method: "GET", pattern: /^\/login\/([^/]+)\/connector\/([^/]+)$/, handler: (d, q, s, v, id) => startConnector(d, q, s, v, id) },
  { method: "GET", pattern: /^\/login\/([^/]+)\/callback\/([^/]+)$/, handler: (d, q, s, v, id, _f, u) => finishCallback(d, q, s, v, id, u) },
  { method: "POST", pattern: /^\/login\/([^/]+)\/password\/([^/]+)$/, handler: (d, q, s, v, id, f) => submitPassword(d, q, s, v, id, f) },
  { method: "POST", pattern: /^\/login\/([^/]+)\/approve$/, handler: approveRoute },
  { method: "POST", pattern: /^\/login\/([^/]+)\/deny$/, handler: (d, q, s) => deny(d, q, s) },
];

async function approveRoute(deps: WebDeps, req: IncomingMessage, res: ServerResponse, view: InteractionView): Promise<void> {
  const pending = view.pending;
  if (pending?.identity === undefined) {
    sendError(deps, res, 400, "Nothing to approve", "This sign-in has no login to approve. Go back to the application and start again.");
    return;
  }
  await approve(deps, req, res, view, pending.connectorId, pending.identity);
}

function sendError(deps: WebDeps, res: ServerResponse, status: number, title: string, message: string, code?: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendPage(res, status, contentSecurityPolicy(deps.config.theme), errorPage(deps.page, title, message, code));
}

/** Turns any failure into a page a user can read; the detail goes to the log only. */
function failed(deps: WebDeps, res: ServerResponse, e: unknown): void {
  if (isKubewardError(e, "request_invalid")) {
    deps.logger.info({ reason: e.code, detail: e.detail }, "login request refused");
    sendError(deps, res, 400, "This sign-in cannot continue", "Your sign-in session has expired or is not valid. Go back to the application and start again.", e.code);
    return;
  }
  const code = isKubewardError(e) ? e.code : "internal";
  deps.logger.error({ reason: code, detail: isKubewardError(e) ? e.detail : String(e) }, "login page failed");
  sendError(deps, res, isKubewardError(e) ? e.status : 500, "Something went wrong", "The sign-in could not be completed. Try again in a moment.", code);
}

/** A path segment, decoded; a malformed escape is a bad request, not a server error. */
function segment(raw: string | undefined): string {
  try {
    return decodeURIComponent(raw ?? "");
  } catch {
    throw new KubewardError("request_invalid", "malformed escape in the path");
  }
}

async function dispatch(deps: WebDeps, req: IncomingMessage, res: ServerResponse, path: string, url: URL): Promise<boolean> {
  for (const route of INTERACTION_ROUTES) {
    const m = route.pattern.exec(path);
    if (m === null || req.method !== route.method) continue;
    const uid = segment(m[1]);
    let form = new URLSearchParams();
    if (route.method === "POST") {
      form = (await readForm(req)) ?? form;
      if (!deps.csrf.valid(uid, form.get("csrf"))) {
        sendError(deps, res, 403, "This form has expired", "The form could not be verified. Go back, reload the page and try again.", "csrf_invalid");
        return true;
      }
    }
    const view = await loadInteraction(deps, req, res, uid);
    await route.handler(deps, req, res, view, segment(m[2]), form, url);
    return true;
  }
  return false;
}

/** Handles `req` when it is one of the issuer's own routes; false when oidc-provider should. */
export async function handleWebRoute(deps: WebDeps, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const url = new URL(req.url ?? "/", deps.config.issuerURL);
  if (!url.pathname.startsWith(`${deps.prefix}/`)) return false;
  const path = url.pathname.slice(deps.prefix.length);
  try {
    if (path === "/theme.css" && req.method === "GET") {
      res.writeHead(200, { "content-type": "text/css; charset=utf-8", "cache-control": "public, max-age=300", "x-content-type-options": "nosniff" });
      res.end(themeCss(deps.config.theme));
      return true;
    }
    const callback = /^\/callback\/([^/]+)$/.exec(path);
    if (callback !== null && req.method === "GET") {
      forwardCallback(deps, res, segment(callback[1]), url);
      return true;
    }
    if (callback !== null && req.method === "POST") {
      await postCallback(deps, res, segment(callback[1]), url, (await readForm(req, CALLBACK_FORM_LIMIT)) ?? new URLSearchParams());
      return true;
    }
    return await dispatch(deps, req, res, path, url);
  } catch (e) {
    failed(deps, res, e);
    return true;
  }
}
