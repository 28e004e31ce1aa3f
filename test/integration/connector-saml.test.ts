/** The saml connector against a real IdP (SimpleSAMLphp, test/tools/simplesamlphp.ts), driven over HTTP through the IdP's own forms. */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { createLogger } from "../../src/log/logger.ts";
import { isKubewardError, type ErrorCode } from "../../src/errors.ts";
import type { CallbackConnector, ConnectorDeps, Scopes } from "../../src/issuer/connectors/connector.ts";
import { openSamlConnector } from "../../src/issuer/connectors/saml/saml-connector.ts";
import type { SamlConfig } from "../../src/issuer/connectors/saml/saml-config.ts";
import { connectorConformance } from "../conformance/connector.ts";
import { startSimpleSamlPhp, type IdpPost, type IdpUser, type SimpleSamlPhp } from "../tools/simplesamlphp.ts";

const ACS = "http://127.0.0.1:9/callback/saml";
const ENTITY = "https://kubeward.test/saml";
const ALL: Scopes = { offlineAccess: false, groups: true };
const ALICE: IdpUser = { username: "alice", password: "alice-idp-pw", attributes: { uid: ["alice"], email: ["alice@example.org"], groups: ["dev", "ops"] } };
const MALLORY: IdpUser = { username: "mallory", password: "mallory-idp-pw", attributes: { uid: ["mallory"], email: ["mallory@example.org"], groups: ["guests"] } };
const BOB: IdpUser = { username: "bob", password: "bob-idp-pw", attributes: { uid: ["bob"], email: ["bob@example.org"], groups: ["dev;ops;auditors"] } };
const quietDeps: ConnectorDeps = { clock: { now: () => Date.now() }, logger: createLogger({ level: "silent" }), fetch: globalThis.fetch };

const startIdp = () => startSimpleSamlPhp([ALICE, MALLORY, BOB], [{ entityID: ENTITY, acsURL: ACS }]);

function configFor(idp: SimpleSamlPhp, extra: Partial<SamlConfig> = {}): SamlConfig {
  return {
    ssoURL: idp.ssoURL, caData: Buffer.from(idp.certPem).toString("base64"), entityIssuer: ENTITY, ssoIssuer: idp.entityID,
    usernameAttr: "uid", emailAttr: "email", groupsAttr: "groups", allowedGroups: ["dev", "ops"], ...extra,
  };
}

/** kubeward's redirect, the user at the IdP: the form the IdP has the browser post back, and what the connector saved. */
async function toIdp(c: CallbackConnector, idp: SimpleSamlPhp, scopes: Scopes, user: IdpUser = ALICE) {
  const { url, saved } = await c.loginURL(scopes, ACS, randomUUID());
  const post = await idp.signIn(url, user.username, user.password);
  assert.equal(post.action, ACS, "the IdP posts to kubeward's callback");
  return { post, saved };
}

const callback = (c: CallbackConnector, scopes: Scopes, r: { post: IdpPost; saved: Readonly<Record<string, string>> }, form = r.post.form) =>
  c.handleCallback(scopes, ACS, new URL(ACS), r.saved, form);

const rejectsWith = (p: Promise<unknown>, code: ErrorCode, detail?: RegExp) =>
  assert.rejects(p, (e) => (isKubewardError(e, code) && (detail === undefined || detail.test(e.detail ?? "")))
    || assert.fail(`expected ${code} ${String(detail ?? "")}, got ${String((e as { code?: string }).code)}: ${String((e as { detail?: string }).detail ?? e)}`));

/** The posted form with its SAMLResponse XML changed by `edit`. */
function tampered(post: IdpPost, edit: (xml: string) => string): URLSearchParams {
  const form = new URLSearchParams(post.form);
  const xml = Buffer.from(post.form.get("SAMLResponse") ?? "", "base64").toString("utf8");
  const changed = edit(xml);
  assert.notEqual(changed, xml, "the edit must change the response");
  form.set("SAMLResponse", Buffer.from(changed).toString("base64"));
  return form;
}

const assertionOf = (xml: string) => /<saml:Assertion[\s\S]*<\/saml:Assertion>/.exec(xml)?.[0] ?? assert.fail("no assertion");
const withoutSignatures = (xml: string) => xml.replace(/<ds:Signature[\s\S]*?<\/ds:Signature>/g, "");

connectorConformance("saml (SimpleSAMLphp IdP)", async (deps) => {
  const idp = await startIdp();
  const connector = await openSamlConnector("saml", "SimpleSAMLphp", configFor(idp), deps);
  const secrets = [ALICE.password, MALLORY.password];
  let down = false;
  const flow = async (scopes: Scopes, user: IdpUser) => {
    const r = await toIdp(connector, idp, scopes, user);
    secrets.push(r.post.form.get("SAMLResponse") ?? "");
    return callback(connector, scopes, r);
  };
  return {
    connector,
    expected: { username: "alice", email: "alice@example.org", groups: ["dev", "ops"] },
    login: (s) => flow(s, ALICE),
    // The IdP refuses a wrong password itself; the user it vouches for who is not in allowedGroups is refused by kubeward.
    loginWrong: async (s) => {
      const { url } = await connector.loginURL(s, ACS, randomUUID());
      await assert.rejects(idp.signIn(url, ALICE.username, "not-her-password"), /refused the login/);
      return flow(s, MALLORY);
    },
    takeDown: async () => { down = true; await idp.stop(); },
    secrets: () => secrets.filter((s) => s !== ""),
    close: () => (down ? Promise.resolve() : idp.stop()),
  };
});

describe("saml connector against SimpleSAMLphp", () => {
  let idp: SimpleSamlPhp;
  before(async () => { idp = await startIdp(); });
  after(() => idp.stop());

  test("a login reports the persistent NameID as the user id, the attributes, and verified email", async () => {
    const c = await openSamlConnector("saml", "SAML", configFor(idp), quietDeps);
    const r = await toIdp(c, idp, ALL);
    const request = new URL((await c.loginURL(ALL, ACS, "s")).url);
    assert.equal(request.origin + request.pathname, idp.ssoURL);
    assert.ok(request.searchParams.get("SAMLRequest"), "HTTP-Redirect binding");
    assert.deepEqual(await callback(c, ALL, r), { userID: "alice", username: "alice", email: "alice@example.org", emailVerified: true, groups: ["dev", "ops"] });
  });

  test("a changed attribute breaks the signature and is refused", async () => {
    const c = await openSamlConnector("saml", "SAML", configFor(idp), quietDeps);
    const r = await toIdp(c, idp, ALL);
    await rejectsWith(callback(c, ALL, r, tampered(r.post, (x) => x.replaceAll("alice@example.org", "mallory@example.org"))), "connector_callback_invalid", /signature/i);
  });

  test("an unsigned response is refused", async () => {
    const c = await openSamlConnector("saml", "SAML", configFor(idp), quietDeps);
    const r = await toIdp(c, idp, ALL);
    await rejectsWith(callback(c, ALL, r, tampered(r.post, withoutSignatures)), "connector_callback_invalid", /signature/i);
  });

  test("signature wrapping: a forged assertion next to, or instead of, the signed one is refused", async () => {
    const c = await openSamlConnector("saml", "SAML", configFor(idp), quietDeps);
    const forge = (assertion: string) => withoutSignatures(assertion).replace(/ID="[^"]+"/, 'ID="_forged"').replace(/>alice</g, ">mallory<");
    const r1 = await toIdp(c, idp, ALL);
    await rejectsWith(callback(c, ALL, r1, tampered(r1.post, (x) => x.replace("<saml:Assertion", `${forge(assertionOf(x))}<saml:Assertion`))), "connector_callback_invalid");
    const r2 = await toIdp(c, idp, ALL);
    // The signed assertion hidden in an Extensions element, the forged one where the assertion belongs.
    const hidden = (x: string) => x.replace(assertionOf(x), `${forge(assertionOf(x))}`).replace("<samlp:Status>", `<samlp:Extensions>${assertionOf(x)}</samlp:Extensions><samlp:Status>`);
    await rejectsWith(callback(c, ALL, r2, tampered(r2.post, hidden)), "connector_callback_invalid");
    // The untouched responses are still good: the refusals came from the forgery.
    assert.equal((await callback(c, ALL, r2)).userID, "alice");
  });

  test("a replayed response is refused, in the same login and in another one", async () => {
    const c = await openSamlConnector("saml", "SAML", configFor(idp), quietDeps);
    const r = await toIdp(c, idp, ALL);
    await callback(c, ALL, r);
    await rejectsWith(callback(c, ALL, r), "connector_callback_invalid", /replay/);
    const other = await c.loginURL(ALL, ACS, "other-login");
    await rejectsWith(c.handleCallback(ALL, ACS, new URL(ACS), other.saved, new URLSearchParams({ ...Object.fromEntries(r.post.form), RelayState: "other-login" })), "connector_callback_invalid", /InResponseTo/);
  });

  test("a response for another audience, destination or login state is refused", async () => {
    const c = await openSamlConnector("saml", "SAML", configFor(idp), quietDeps);
    const elsewhere = await openSamlConnector("saml", "SAML", configFor(idp, { entityIssuer: "https://other.test/saml" }), quietDeps);
    await rejectsWith(callback(elsewhere, ALL, await toIdp(c, idp, ALL)), "connector_callback_invalid", /audience/);
    const otherACS = await openSamlConnector("saml", "SAML", configFor(idp, { redirectURI: "http://127.0.0.1:9/callback/other" }), quietDeps);
    await rejectsWith(callback(otherACS, ALL, await toIdp(c, idp, ALL)), "connector_callback_invalid", /destination/);
    const r = await toIdp(c, idp, ALL);
    await rejectsWith(callback(c, ALL, r, new URLSearchParams({ ...Object.fromEntries(r.post.form), RelayState: "another-state" })), "connector_callback_invalid", /RelayState/);
    await rejectsWith(c.handleCallback(ALL, ACS, new URL(`${ACS}?SAMLResponse=x`), r.saved), "connector_callback_invalid", /posted/);
  });

  test("an IdP-initiated (unsolicited) response is refused", async () => {
    const c = await openSamlConnector("saml", "SAML", configFor(idp), quietDeps);
    const { saved } = await c.loginURL(ALL, ACS, "s");
    const post = await idp.signIn(`${idp.baseURL}saml2/idp/SSOService.php?spentityid=${encodeURIComponent(ENTITY)}`, ALICE.username, ALICE.password);
    await rejectsWith(c.handleCallback(ALL, ACS, new URL(ACS), saved, new URLSearchParams({ SAMLResponse: post.form.get("SAMLResponse") ?? "", RelayState: "s" })), "connector_callback_invalid", /InResponseTo/);
  });

  test("times are checked on kubeward's clock, with clockSkew", async () => {
    const at = (offsetMs: number, clockSkew = "30s") => openSamlConnector("saml", "SAML", configFor(idp, { clockSkew }), { ...quietDeps, clock: { now: () => Date.now() + offsetMs } });
    const late = await at(10 * 60_000);
    await rejectsWith(callback(late, ALL, await toIdp(late, idp, ALL)), "connector_callback_invalid", /expired/);
    const lenient = await at(10 * 60_000, "10m");
    assert.equal((await callback(lenient, ALL, await toIdp(lenient, idp, ALL))).userID, "alice");
    const early = await at(-5 * 60_000);
    await rejectsWith(callback(early, ALL, await toIdp(early, idp, ALL)), "connector_callback_invalid", /not valid before/);
  });

  test("allowedGroups refuses non-members; filterGroups keeps only allowed groups; groupsDelim splits one value", async () => {
    const c = await openSamlConnector("saml", "SAML", configFor(idp, { groupsDelim: ";", allowedGroups: ["ops", "auditors"], filterGroups: true }), quietDeps);
    await rejectsWith(callback(c, ALL, await toIdp(c, idp, ALL, MALLORY)), "connector_refused");
    assert.deepEqual((await callback(c, ALL, await toIdp(c, idp, ALL, BOB))).groups, ["ops", "auditors"]);
    assert.deepEqual((await callback(c, ALL, await toIdp(c, idp, ALL, ALICE))).groups, ["ops"]);
    const none = { offlineAccess: false, groups: false };
    assert.deepEqual((await callback(c, none, await toIdp(c, idp, none, ALICE))).groups, []);
  });

  test("a response signed by another key is refused", async () => {
    const other = await startIdp();
    try {
      const c = await openSamlConnector("saml", "SAML", configFor(idp, { caData: other.certPem }), quietDeps);
      await rejectsWith(callback(c, ALL, await toIdp(c, idp, ALL)), "connector_callback_invalid", /signature/i);
    } finally {
      await other.stop();
    }
  });

  test("an IdP that is down is connector_unavailable before the browser is sent there", async () => {
    const gone = await startIdp();
    const c = await openSamlConnector("saml", "SAML", configFor(gone), quietDeps);
    await gone.stop();
    await rejectsWith(c.loginURL(ALL, ACS, "s"), "connector_unavailable", /does not answer: ECONNREFUSED/);
    const unchecked = await openSamlConnector("saml", "SAML", configFor(gone, { checkIdPReachable: false }), quietDeps);
    assert.ok((await unchecked.loginURL(ALL, ACS, "s")).url.startsWith(gone.ssoURL));
  });
});
