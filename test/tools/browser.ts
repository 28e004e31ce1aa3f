/**
 * Headless Chromium for browser tests: Debian's /usr/bin/chromium driven by
 * playwright-core (never a downloaded browser), a fresh profile per launch,
 * no background traffic. One browser per test file, closed in `after`.
 */
import { chromium, type Browser, type BrowserContext } from "playwright-core";

/** Where Debian's chromium package puts the browser. */
export const CHROMIUM = "/usr/bin/chromium";

const ARGS = ["--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"];

/** Launches headless Chromium; playwright gives it a new user-data-dir. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
}

/** A fresh browser context (own cookies) trusting nothing special: pass `ignoreHTTPSErrors` only for self-signed test servers. */
export function newContext(browser: Browser, options: { readonly ignoreHTTPSErrors?: boolean } = {}): Promise<BrowserContext> {
  return browser.newContext({ ignoreHTTPSErrors: options.ignoreHTTPSErrors ?? false, javaScriptEnabled: true });
}
