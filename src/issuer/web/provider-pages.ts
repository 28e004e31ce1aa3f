/**
 * The pages oidc-provider renders through kubeward: its error page and the
 * device flow's code entry, confirmation and success pages. oidc-provider's
 * own form markup (with an inline handler) is not used; only its action and
 * anti-forgery token are taken over into kubeward's forms.
 */
import type { OidcClient, OidcContext } from "oidc-provider";
import type { ResolvedIssuerConfig } from "../config.ts";
import type { Html } from "./html.ts";
import { pageHeaders } from "./http.ts";
import { contentSecurityPolicy, type PageContext } from "./layout.ts";
import { deviceConfirmPage, deviceInputPage, deviceSuccessPage, errorPage } from "./pages.ts";

function send(ctx: OidcContext, theme: ResolvedIssuerConfig["theme"], body: Html): void {
  for (const [k, v] of Object.entries(pageHeaders(contentSecurityPolicy(theme)))) ctx.set(k, v);
  ctx.type = "html";
  ctx.body = body.toString();
}

function formFields(form: string): { action: string; xsrf: string } {
  const attr = (name: string): string => new RegExp(`${name}="([^"]*)"`).exec(form)?.[1] ?? "";
  return { action: attr("action"), xsrf: /name="xsrf" value="([^"]*)"/.exec(form)?.[1] ?? "" };
}

const ERROR_TEXT: Readonly<Record<string, string>> = {
  invalid_request: "The application sent a request kubeward cannot accept.",
  invalid_client: "The application is not registered with this sign-in service.",
  invalid_redirect_uri: "The application asked to return to an address it has not registered.",
  access_denied: "Access was denied.",
  server_error: "Something went wrong on our side. Try again in a moment.",
};

/** What the code entry page says after oidc-provider refused a code, by its error's name. */
const DEVICE_TEXT: Readonly<Record<string, string>> = {
  NotFoundError: "That code is not valid or has expired. Check the code on your device and try again.",
  ExpiredError: "That code has expired. Start the sign-in on your device again to get a new code.",
  AlreadyUsedError: "That code has already been used. Start the sign-in on your device again.",
  NoCodeError: "Enter the code shown on your device.",
  AbortedError: "Sign-in cancelled: the device was not signed in.",
};

/** The oidc-provider hooks that render through kubeward's pages. */
export function providerPages(theme: ResolvedIssuerConfig["theme"], pageCtx: PageContext) {
  return {
    renderError(ctx: OidcContext, out: { error?: string; error_description?: string }): void {
      const code = out.error ?? "server_error";
      const detail = code === "server_error" ? undefined : out.error_description;
      const message = [ERROR_TEXT[code] ?? "The sign-in request could not be completed.", detail === undefined ? "" : `(${detail})`].join(" ").trim();
      send(ctx, theme, errorPage(pageCtx, "Sign-in failed", message, code));
    },
    userCodeInputSource(ctx: OidcContext, form: string, out?: { error?: string }, err?: { name?: string }): void {
      const { action, xsrf } = formFields(form);
      const error = out?.error === undefined ? undefined : DEVICE_TEXT[err?.name ?? ""] ?? DEVICE_TEXT.NotFoundError;
      send(ctx, theme, deviceInputPage(pageCtx, action, xsrf, error));
    },
    userCodeConfirmSource(ctx: OidcContext, form: string, client: OidcClient, _deviceInfo: unknown, userCode: string): void {
      const { action, xsrf } = formFields(form);
      send(ctx, theme, deviceConfirmPage(pageCtx, action, xsrf, userCode, client.clientName ?? client.clientId));
    },
    successSource(ctx: OidcContext): void {
      const client = ctx.oidc.client;
      send(ctx, theme, deviceSuccessPage(pageCtx, client?.clientName ?? client?.clientId ?? "The application"));
    },
  };
}
