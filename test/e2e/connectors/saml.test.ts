/**
 * SAML end to end: Chromium logs in at a real SimpleSAMLphp IdP through the issuer's `saml` connector, the client
 * exchanges the code, and the ID token through the real `kubeward proxy` CLI makes kube-apiserver see the SAML user and groups.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import * as client from "openid-client";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { createLogger } from "../../../src/log/logger.ts";
import { openConnector } from "../../../src/issuer/connectors/registry.ts";
import { useCluster } from "../../fixtures/cluster/use-cluster.ts";
import { launchBrowser, newContext } from "../../tools/browser.ts";
import { startSimpleSamlPhp, type SimpleSamlPhp } from "../../tools/simplesamlphp.ts";
import { authorizationRequest, startIssuerHarness, type Harness } from "../../integration/issuer-harness.ts";
import { startProxy, type RunningProxy } from "../support/proxy.ts";
import { kubectlOk, parseWhoAmI } from "../support/kubectl.ts";

const cluster = useCluster();
const ENTITY = "https://kubeward.test/saml";
const ALICE = { username: "alice", password: "alice-idp-pw", email: "alice@example.org", groups: ["platform-admins", "sre"] };
const UI_TIMEOUT = 60_000;

describe("a SAML user through the issuer and kubeward proxy to kube-apiserver", () => {
  let idp: SimpleSamlPhp | undefined;
  let issuer: Harness | undefined;
  let proxy: RunningProxy | undefined;
  let browser: Browser | undefined;
  let clientServer: Server | undefined;
  let redirectURI: string;
  /** Requests the client's redirect URI has received. */
  let clientHits = 0;

  before(async () => {
    // The client's loopback redirect target: what a CLI's local listener would answer.
    const server = createServer((_req, res) => {
      clientHits++;
      res.writeHead(200, { "content-type": "text/plain" }).end("back at the client");
    });
    clientServer = server;
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    redirectURI = `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback`;
    idp = await startSimpleSamlPhp([{ username: ALICE.username, password: ALICE.password, attributes: { uid: [ALICE.username], email: [ALICE.email], groups: ALICE.groups } }], []);
    // The connector entry as an operator writes it (docs/connectors/saml.md), opened through the registry.
    const saml = await openConnector({
      type: "saml", id: "saml", name: "SimpleSAMLphp",
      config: { ssoURL: idp.ssoURL, caData: idp.certPem, entityIssuer: ENTITY, ssoIssuer: idp.entityID, usernameAttr: "uid", emailAttr: "email", groupsAttr: "groups" },
    }, { clock: { now: () => Date.now() }, logger: createLogger({ level: "silent" }), fetch: globalThis.fetch }, { path: "connectors[0]" });
    issuer = await startIssuerHarness({ extraConnectors: [saml] });
    await idp.setServiceProviders([{ entityID: ENTITY, acsURL: `${issuer.url}/callback/saml` }]);
    proxy = await startProxy(cluster, {
      issuerUrl: issuer.url, clientId: "kubectl", issuerCaPem: issuer.caPem,
      args: ["--oidc-username-claim=email", "--oidc-groups-claim=groups"],
    });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await proxy?.stop();
    await issuer?.close();
    await idp?.stop();
    clientServer?.closeAllConnections();
    clientServer?.close();
  });

  /** Chromium from the client's authorization URL through the issuer's login page to the IdP's form, filled in and sent. */
  async function toIdpAndSignIn(context: BrowserContext, url: URL, password: string): Promise<Page> {
    const page = await context.newPage();
    await page.goto(url.href, { timeout: UI_TIMEOUT });
    await page.getByRole("link", { name: "Log in with SimpleSAMLphp" }).click({ timeout: UI_TIMEOUT });
    await page.waitForURL((u) => u.href.startsWith(idp!.baseURL), { timeout: UI_TIMEOUT });
    await page.fill("input[name=username]", ALICE.username, { timeout: UI_TIMEOUT });
    await page.fill("input[name=password]", password, { timeout: UI_TIMEOUT });
    await page.press("input[name=password]", "Enter");
    return page;
  }

  test("Chromium logs in at the IdP, the client exchanges the code, and kubectl auth whoami through the proxy shows the SAML email and groups", async () => {
    const context = await newContext(browser!, { ignoreHTTPSErrors: true });
    try {
      const rp = await issuer!.rp("kubectl");
      const req = await authorizationRequest(rp, redirectURI, "openid email groups");
      const page = await toIdpAndSignIn(context, req.url, ALICE.password);
      await page.waitForURL((u) => u.href.startsWith(`${redirectURI}?`), { timeout: UI_TIMEOUT });
      assert.equal(await page.textContent("body"), "back at the client");
      const tokens = await client.authorizationCodeGrant(rp, new URL(page.url()), { pkceCodeVerifier: req.verifier, expectedState: req.state, expectedNonce: req.nonce });
      assert.equal(tokens.claims()?.["email"], ALICE.email);
      assert.ok(tokens.id_token !== undefined);

      const kubeconfig = proxy!.kubeconfigFor("alice", tokens.id_token);
      const who = parseWhoAmI(await kubectlOk(cluster, kubeconfig, ["auth", "whoami", "-o", "json"]));
      assert.equal(who.username, ALICE.email, "the email claim is the username, without an issuer prefix");
      assert.deepEqual(who.groups, [...ALICE.groups, "system:authenticated"], "each SAML group reaches kube-apiserver as its own group");
    } finally {
      await context.close();
    }
  });

  test("a wrong password at the IdP keeps the browser at the IdP: no code reaches the client", async () => {
    const context = await newContext(browser!, { ignoreHTTPSErrors: true });
    try {
      const rp = await issuer!.rp("kubectl");
      const req = await authorizationRequest(rp, redirectURI, "openid email groups");
      const before = clientHits;
      const page = await toIdpAndSignIn(context, req.url, "not-alices-password");
      await page.getByText(/Incorrect username or password/i).waitFor({ timeout: UI_TIMEOUT });
      assert.ok(page.url().startsWith(idp!.baseURL), `the browser should still be at the IdP, is at ${page.url()}`);
      await page.waitForSelector("input[name=password]", { timeout: UI_TIMEOUT });
      assert.equal(clientHits, before, "nothing came back to the client's redirect URI");
    } finally {
      await context.close();
    }
  });
});
