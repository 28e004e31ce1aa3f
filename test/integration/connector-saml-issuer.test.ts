/**
 * The saml connector inside the real issuer, with Chromium: the issuer sends
 * the browser to SimpleSAMLphp, the IdP's page posts the response to the
 * issuer's POST /callback/saml, and the client gets a code whose ID token
 * names the user the IdP vouched for.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import * as client from "openid-client";
import type { Browser } from "playwright-core";
import { createLogger } from "../../src/log/logger.ts";
import { openSamlConnector } from "../../src/issuer/connectors/saml/saml-connector.ts";
import { launchBrowser, newContext } from "../tools/browser.ts";
import { startSimpleSamlPhp, type SimpleSamlPhp } from "../tools/simplesamlphp.ts";
import { authorizationRequest, startIssuerHarness, type Harness } from "./issuer-harness.ts";

const ENTITY = "https://kubeward.test/saml";
let idp: SimpleSamlPhp;
let h: Harness;
let browser: Browser;
let clientServer: Server;
let redirectURI: string;

before(async () => {
  clientServer = createServer((_req, res) => void res.writeHead(200, { "content-type": "text/plain" }).end("back at the client"));
  clientServer.listen(0, "127.0.0.1");
  await once(clientServer, "listening");
  redirectURI = `http://127.0.0.1:${(clientServer.address() as AddressInfo).port}/callback`;
  idp = await startSimpleSamlPhp([{ username: "alice", password: "alice-idp-pw", attributes: { uid: ["alice"], email: ["alice@example.org"], groups: ["dev", "ops"] } }], []);
  const saml = await openSamlConnector("saml", "SimpleSAMLphp", {
    ssoURL: idp.ssoURL, caData: idp.certPem, entityIssuer: ENTITY, ssoIssuer: idp.entityID, usernameAttr: "uid", emailAttr: "email", groupsAttr: "groups",
  }, { clock: { now: () => Date.now() }, logger: createLogger({ level: "silent" }), fetch: globalThis.fetch });
  h = await startIssuerHarness({ extraConnectors: [saml] });
  await idp.setServiceProviders([{ entityID: ENTITY, acsURL: `${h.url}/callback/saml` }]);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await h?.close();
  await idp?.stop();
  clientServer?.close();
});

test("Chromium logs in through the issuer, the IdP and the POST callback; the ID token carries the IdP's user", async () => {
  const context = await newContext(browser, { ignoreHTTPSErrors: true });
  try {
    const page = await context.newPage();
    const rp = await h.rp("kubectl");
    const req = await authorizationRequest(rp, redirectURI, "openid email groups");
    await page.goto(req.url.href);
    await page.getByRole("link", { name: "Log in with SimpleSAMLphp" }).click();
    await page.waitForURL((u) => u.href.startsWith(idp.baseURL));
    await page.fill("input[name=username]", "alice");
    await page.fill("input[name=password]", "alice-idp-pw");
    await page.press("input[name=password]", "Enter");
    await page.waitForURL((u) => u.href.startsWith(redirectURI), { timeout: 15_000 });
    const tokens = await client.authorizationCodeGrant(rp, new URL(page.url()), { pkceCodeVerifier: req.verifier, expectedState: req.state, expectedNonce: req.nonce });
    const claims = tokens.claims();
    assert.equal(claims?.["email"], "alice@example.org");
    assert.deepEqual(claims?.["groups"], ["dev", "ops"]);
  } finally {
    await context.close();
  }
});
