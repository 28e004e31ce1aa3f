/**
 * The saml connector with Chromium at the real IdP (SimpleSAMLphp): the user
 * types a password into the IdP's page, the IdP's page posts the response to
 * a callback endpoint on 127.0.0.1, which hands the form to the connector.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { Browser } from "playwright-core";
import { createLogger } from "../../src/log/logger.ts";
import { isKubewardError } from "../../src/errors.ts";
import type { CallbackConnector, CallbackState, Scopes } from "../../src/issuer/connectors/connector.ts";
import { openSamlConnector } from "../../src/issuer/connectors/saml/saml-connector.ts";
import { freePort } from "../fixtures/cluster/wait.ts";
import { launchBrowser, newContext } from "../tools/browser.ts";
import { startSimpleSamlPhp, type SimpleSamlPhp } from "../tools/simplesamlphp.ts";

const ENTITY = "https://kubeward.test/saml";
const SCOPES: Scopes = { offlineAccess: false, groups: true };

let idp: SimpleSamlPhp;
let browser: Browser;
let server: Server;
let acs: string;
let connector: CallbackConnector;
/** What loginURL saved, by state: the issuer keeps it server-side the same way. */
const pending = new Map<string, CallbackState>();

async function body(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

/** The callback endpoint: the posted form goes to handleCallback; the page says who signed in, or why not. */
function callbackServer(): Server {
  return createServer((req, res) => {
    void (async () => {
      const form = await body(req);
      const saved = pending.get(form.get("RelayState") ?? "") ?? {};
      try {
        const id = await connector.handleCallback(SCOPES, acs, new URL(acs), saved, form);
        res.writeHead(200, { "content-type": "text/plain" }).end(`signed in as ${id.username} <${id.email ?? ""}> in ${id.groups.join(",")}`);
      } catch (e) {
        res.writeHead(401, { "content-type": "text/plain" }).end(`refused: ${isKubewardError(e) ? e.code : String(e)}`);
      }
    })();
  });
}

before(async () => {
  const port = await freePort();
  acs = `http://127.0.0.1:${port}/callback/saml`;
  server = callbackServer();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  idp = await startSimpleSamlPhp(
    [{ username: "alice", password: "alice-idp-pw", attributes: { uid: ["alice"], email: ["alice@example.org"], groups: ["dev", "ops"] } }],
    [{ entityID: ENTITY, acsURL: acs }],
  );
  connector = await openSamlConnector("saml", "SAML", {
    ssoURL: idp.ssoURL, caData: idp.certPem, entityIssuer: ENTITY, usernameAttr: "uid", emailAttr: "email", groupsAttr: "groups",
  }, { clock: { now: () => Date.now() }, logger: createLogger({ level: "silent" }), fetch: globalThis.fetch });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await idp?.stop();
  await new Promise((resolve) => server?.close(resolve));
});

async function start(state: string): Promise<string> {
  const { url, saved } = await connector.loginURL(SCOPES, acs, state);
  pending.set(state, saved);
  return url;
}

test("Chromium signs in at SimpleSAMLphp (a wrong password first) and the posted response logs the user in", async () => {
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    await page.goto(await start("browser-login-1"));
    await page.fill("input[name=username]", "alice");
    await page.fill("input[name=password]", "not-her-password");
    await page.press("input[name=password]", "Enter");
    await page.waitForSelector("input[name=password]");
    assert.match(await page.content(), /Incorrect username or password/i);
    await page.fill("input[name=username]", "alice");
    await page.fill("input[name=password]", "alice-idp-pw");
    await Promise.all([page.waitForURL(acs), page.press("input[name=password]", "Enter")]);
    assert.equal(await page.textContent("body"), "signed in as alice <alice@example.org> in dev,ops");
  } finally {
    await context.close();
  }
});

test("the IdP's session signs the user in again without a password, and each response is used once", async () => {
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    await page.goto(await start("browser-login-2"));
    await page.fill("input[name=username]", "alice");
    await page.fill("input[name=password]", "alice-idp-pw");
    await Promise.all([page.waitForURL(acs), page.press("input[name=password]", "Enter")]);
    let posted: string | undefined;
    page.on("request", (r) => { if (r.url() === acs && r.method() === "POST") posted = r.postData() ?? undefined; });
    await page.goto(await start("browser-login-3"));
    await page.waitForURL(acs);
    assert.equal(await page.textContent("body"), "signed in as alice <alice@example.org> in dev,ops");
    assert.ok(posted, "the browser posted the IdP's response");
    const again = await context.request.post(acs, { headers: { "content-type": "application/x-www-form-urlencoded" }, data: posted });
    assert.equal(await again.text(), "refused: connector_callback_invalid");
  } finally {
    await context.close();
  }
});
