/** The login pages' stylesheet, built from the configured theme and served at `/theme.css`. */
import type { ResolvedIssuerConfig } from "../config.ts";

const HEX = /^#[0-9a-fA-F]{3,8}$/;

function colour(value: string, fallback: string): string {
  return HEX.test(value) ? value : fallback;
}

/** The stylesheet; colours that are not CSS hex colours fall back to the defaults. */
export function themeCss(theme: ResolvedIssuerConfig["theme"]): string {
  const primary = colour(theme.primaryColor, "#2457c5");
  const background = colour(theme.backgroundColor, "#f4f6fa");
  return `:root { --primary: ${primary}; --background: ${background}; --text: #1b2330; --muted: #5b6678; --border: #d5dbe5; --danger: #b42318; }
* { box-sizing: border-box; }
html, body { margin: 0; padding: 0; }
body { min-height: 100vh; display: flex; flex-direction: column; align-items: center; justify-content: center;
  background: var(--background); color: var(--text);
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { width: 100%; max-width: 400px; padding: 16px; }
.card { background: #fff; border: 1px solid var(--border); border-radius: 12px; padding: 32px 32px 24px;
  box-shadow: 0 8px 24px rgba(16, 24, 40, 0.08); }
.brand { display: flex; align-items: center; gap: 10px; margin-bottom: 24px; font-weight: 600; font-size: 18px; }
.brand img { height: 32px; width: auto; }
.brand .mark { display: inline-flex; align-items: center; justify-content: center; width: 32px; height: 32px;
  border-radius: 8px; background: var(--primary); color: #fff; font-weight: 700; }
h1 { font-size: 22px; line-height: 1.3; margin: 0 0 8px; }
p { margin: 0 0 16px; color: var(--muted); }
label { display: block; font-weight: 500; font-size: 14px; margin: 16px 0 6px; }
input[type=text], input[type=email], input[type=password] { width: 100%; padding: 10px 12px; font-size: 16px;
  border: 1px solid var(--border); border-radius: 8px; background: #fff; color: var(--text); }
input:focus, button:focus, a:focus { outline: 3px solid color-mix(in srgb, var(--primary) 40%, transparent); outline-offset: 1px; }
input.code { text-transform: uppercase; letter-spacing: 0.2em; font-family: ui-monospace, monospace; text-align: center; }
button, .button { display: block; width: 100%; margin-top: 24px; padding: 11px 16px; font-size: 16px; font-weight: 600;
  border: 1px solid var(--primary); border-radius: 8px; background: var(--primary); color: #fff; cursor: pointer;
  text-align: center; text-decoration: none; }
button.secondary, .button.secondary { background: #fff; color: var(--text); border-color: var(--border); margin-top: 12px; }
.connectors { list-style: none; padding: 0; margin: 16px 0 0; }
.connectors .button { margin-top: 12px; }
.alert { border: 1px solid color-mix(in srgb, var(--danger) 35%, #fff); background: color-mix(in srgb, var(--danger) 8%, #fff);
  color: var(--danger); border-radius: 8px; padding: 10px 12px; margin: 16px 0 0; font-size: 14px; }
.scopes { margin: 0 0 8px; padding-left: 20px; color: var(--text); }
.code-display { font-family: ui-monospace, monospace; font-size: 24px; letter-spacing: 0.15em; text-align: center; margin: 8px 0 16px; }
.meta { font-size: 13px; color: var(--muted); margin-top: 16px; }
footer { margin-top: 16px; text-align: center; font-size: 13px; color: var(--muted); }
`;
}
