/** The login pages' CSP and stylesheet. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { resolveIssuerConfig } from "../../../../src/issuer/config.ts";
import { contentSecurityPolicy } from "../../../../src/issuer/web/layout.ts";
import { themeCss } from "../../../../src/issuer/web/theme.ts";

const theme = (t: Record<string, string> = {}) => resolveIssuerConfig({ issuerURL: "https://id.example.com", clients: [], theme: t }).theme;

test("the CSP allows nothing inline, no frames, and forms only to self and the client's redirect targets", () => {
  const csp = contentSecurityPolicy(theme(), ["https://app.example.com/cb", "http://127.0.0.1:8000/callback", "http://localhost/cb"]);
  assert.equal(csp, "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self' https://app.example.com http://127.0.0.1:* http://localhost:*; frame-ancestors 'none'; base-uri 'none'");
});

test("the logo's origin joins img-src", () => {
  assert.match(contentSecurityPolicy(theme({ logoURL: "https://cdn.example.com/logo.svg" })), /img-src 'self' data: https:\/\/cdn\.example\.com;/);
});

test("theme colours that are not hex colours cannot inject CSS", () => {
  const css = themeCss(theme({ primaryColor: "red; } body { display: none", backgroundColor: "#101820" }));
  assert.match(css, /--primary: #2457c5;/);
  assert.match(css, /--background: #101820;/);
  assert.doesNotMatch(css, /display: none/);
});
