/** The frame every login page shares (brand header, card, footer) and the Content-Security-Policy it is served with. */
import type { ResolvedIssuerConfig } from "../config.ts";
import { html, type Html } from "./html.ts";

/** What a page needs from the issuer to render its frame. */
export interface PageContext {
  readonly theme: ResolvedIssuerConfig["theme"];
  /** Where the stylesheet is, e.g. `/theme.css` under the issuer's path. */
  readonly stylesheetURL: string;
}

/** A full HTML document around `body`. */
export function page(ctx: PageContext, title: string, body: Html): Html {
  const { theme } = ctx;
  const mark = theme.logoURL === undefined
    ? html`<span class="mark" aria-hidden="true">${theme.name.slice(0, 1).toUpperCase()}</span>`
    : html`<img src="${theme.logoURL}" alt="">`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title} · ${theme.name}</title>
<link rel="stylesheet" href="${ctx.stylesheetURL}">
</head>
<body>
<main>
<div class="card">
<div class="brand">${mark}<span>${theme.name}</span></div>
${body}
</div>
<footer>Secured by kubeward</footer>
</main>
</body>
</html>
`;
}

/** The origin of an absolute URL, or undefined for data: and relative URLs. */
function originOf(url: string): string | undefined {
  const parsed = URL.parse(url);
  return parsed !== null && (parsed.protocol === "https:" || parsed.protocol === "http:") ? parsed.origin : undefined;
}

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "[::1]", "localhost"]);

/** A CSP source for a redirect target: loopback ones on any port (RFC 8252 §7.3). */
function formTarget(uri: string): string | undefined {
  const parsed = URL.parse(uri);
  if (parsed === null) return undefined;
  if (parsed.protocol === "http:" && LOOPBACK_HOSTS.has(parsed.hostname)) return `http://${parsed.hostname}:*`;
  return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.origin : `${parsed.protocol}`;
}

/**
 * The Content-Security-Policy of a login page: nothing inline, no frames,
 * forms only to the issuer and to `redirectTargets` (the browser checks the
 * redirect that follows a form post against form-action too).
 */
export function contentSecurityPolicy(theme: ResolvedIssuerConfig["theme"], redirectTargets: readonly string[] = []): string {
  const logo = theme.logoURL === undefined ? undefined : originOf(theme.logoURL);
  const targets = [...new Set(redirectTargets.map(formTarget).filter((t) => t !== undefined))];
  return [
    "default-src 'none'",
    "style-src 'self'",
    ["img-src 'self' data:", logo].filter(Boolean).join(" "),
    ["form-action 'self'", ...targets].join(" "),
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join("; ");
}
