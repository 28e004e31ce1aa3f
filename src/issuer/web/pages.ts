/**
 * The login pages' bodies: connector choice, password form, approval, device
 * code entry and confirmation, success and error. Every value is escaped by
 * the `html` template; forms carry their CSRF token and work without JavaScript.
 */
import { html, type Html } from "./html.ts";
import { page, type PageContext } from "./layout.ts";

/** One connector offered on the choice page. */
export interface ConnectorChoice {
  readonly name: string;
  readonly href: string;
}

/** The "Log in with…" page shown when more than one connector is configured. */
export function connectorChoicePage(ctx: PageContext, clientName: string, choices: readonly ConnectorChoice[]): Html {
  return page(ctx, "Log in", html`<h1>Log in to continue</h1>
<p>to ${clientName}</p>
<ul class="connectors">
${choices.map((c) => html`<li><a class="button secondary" href="${c.href}">Log in with ${c.name}</a></li>\n`)}
</ul>`);
}

/** What the password form shows. */
export interface PasswordForm {
  readonly action: string;
  readonly csrf: string;
  readonly clientName: string;
  readonly connectorName: string;
  readonly usernamePrompt: string;
  /** The username to fill in again after a failed attempt. */
  readonly username?: string;
  /** A message for the user, e.g. "Invalid username or password." */
  readonly error?: string;
  /** Link back to the connector choice, when there is one. */
  readonly backHref?: string;
}

/** The username and password form of a password connector. */
export function passwordPage(ctx: PageContext, f: PasswordForm): Html {
  const retry = f.username !== undefined && f.username !== "";
  return page(ctx, "Log in", html`<h1>Log in</h1>
<p>to ${f.clientName} with ${f.connectorName}</p>
${f.error === undefined ? "" : html`<div class="alert" role="alert" id="login-error">${f.error}</div>`}
<form method="post" action="${f.action}">
<input type="hidden" name="csrf" value="${f.csrf}">
<label for="login">${f.usernamePrompt}</label>
<input type="text" id="login" name="login" value="${f.username ?? ""}" autocomplete="username" autocapitalize="none" spellcheck="false" required${retry ? "" : html` autofocus`}${f.error === undefined ? "" : html` aria-describedby="login-error"`}>
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required${retry ? html` autofocus` : ""}>
<button type="submit">Log in</button>
</form>
${f.backHref === undefined ? "" : html`<p class="meta"><a href="${f.backHref}">Use another way to log in</a></p>`}`);
}

/** What the approval page shows. */
export interface ApprovalForm {
  readonly approveAction: string;
  readonly denyAction: string;
  readonly csrf: string;
  readonly clientName: string;
  readonly username: string;
  /** Human descriptions of what the client gets. */
  readonly grants: readonly string[];
}

/** The approval screen: the client, what it asks for, Allow and Deny. */
export function approvalPage(ctx: PageContext, f: ApprovalForm): Html {
  return page(ctx, "Grant access", html`<h1>Grant access to ${f.clientName}</h1>
<p>Signed in as <strong>${f.username}</strong>. ${f.clientName} would like to:</p>
<ul class="scopes">${f.grants.map((g) => html`<li>${g}</li>`)}</ul>
<form method="post" action="${f.approveAction}">
<input type="hidden" name="csrf" value="${f.csrf}">
<button type="submit" autofocus>Allow</button>
</form>
<form method="post" action="${f.denyAction}">
<input type="hidden" name="csrf" value="${f.csrf}">
<button type="submit" class="secondary">Deny</button>
</form>`);
}

/** The device page where the user types the code their device shows. */
export function deviceInputPage(ctx: PageContext, action: string, xsrf: string, error?: string): Html {
  return page(ctx, "Connect a device", html`<h1>Connect a device</h1>
<p>Enter the code shown on your device or terminal.</p>
${error === undefined ? "" : html`<div class="alert" role="alert" id="code-error">${error}</div>`}
<form method="post" action="${action}">
<input type="hidden" name="xsrf" value="${xsrf}">
<label for="user_code">Code</label>
<input type="text" class="code" id="user_code" name="user_code" autocomplete="off" autocapitalize="characters" spellcheck="false" required autofocus${error === undefined ? "" : html` aria-describedby="code-error"`}>
<button type="submit">Continue</button>
</form>`);
}

/** The device confirmation page: is this the code on your screen? */
export function deviceConfirmPage(ctx: PageContext, action: string, xsrf: string, userCode: string, clientName: string): Html {
  const hidden = html`<input type="hidden" name="xsrf" value="${xsrf}"><input type="hidden" name="user_code" value="${userCode}">`;
  return page(ctx, "Confirm the device", html`<h1>Confirm the device</h1>
<p>${clientName} on your device is asking to sign in. Check that it shows this code:</p>
<div class="code-display">${userCode}</div>
<form method="post" action="${action}">${hidden}<input type="hidden" name="confirm" value="yes">
<button type="submit" autofocus>Continue</button>
</form>
<form method="post" action="${action}">${hidden}<input type="hidden" name="abort" value="yes">
<button type="submit" class="secondary">Cancel</button>
</form>`);
}

/** Shown in the browser once a device login is done. */
export function deviceSuccessPage(ctx: PageContext, clientName: string): Html {
  return page(ctx, "Device connected", html`<h1>You're signed in</h1>
<p>${clientName} on your device is now signed in. You can close this window and return to your device.</p>`);
}

/** A readable error page; `message` is user-facing text, never internal detail. */
export function errorPage(ctx: PageContext, title: string, message: string, code?: string): Html {
  return page(ctx, title, html`<h1>${title}</h1>
<p>${message}</p>
${code === undefined ? "" : html`<p class="meta">Error code: <code>${code}</code></p>`}`);
}
