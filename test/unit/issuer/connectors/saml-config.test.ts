/** The saml connector's config: schema problems naming the field, field combinations, and the settings it derives. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ConfigError } from "../../../../src/config/errors.ts";
import { schemaProblems } from "../../../../src/issuer/connectors/config-problems.ts";
import { checkSamlConfig, samlConfigSchema, type SamlConfig } from "../../../../src/issuer/connectors/saml/saml-config.ts";
import { createCertificateAuthority } from "../../../../src/pki/certificates.ts";
import { createLogger } from "../../../../src/log/logger.ts";
import { openConnector } from "../../../../src/issuer/connectors/registry.ts";

const base = { ssoURL: "https://idp.example.org/sso", usernameAttr: "uid", emailAttr: "mail" };
const problems = (config: unknown) => schemaProblems(samlConfigSchema, config, "connectors[0].config").map((p) => `${p.path}: ${p.message}`).sort();
const checked = (config: SamlConfig) => checkSamlConfig(config).then(() => [], (e: unknown) => {
  assert.ok(e instanceof ConfigError, String(e));
  return e.problems.map((p) => `${p.path}: ${p.message}`).sort();
});

test("the schema accepts Dex's fields and names every bad one", () => {
  assert.deepEqual(problems({
    ...base, ca: "/etc/idp.pem", entityIssuer: "https://kubeward.example/saml", ssoIssuer: "https://idp.example.org", redirectURI: "https://kubeward.example/callback/saml",
    groupsAttr: "groups", groupsDelim: ",", allowedGroups: ["k8s"], filterGroups: true, nameIDPolicyFormat: "persistent", insecureSkipSignatureValidation: false,
  }), []);
  assert.deepEqual(problems({ ssoURL: "idp.example.org", usernameAttr: "", clockSkew: "30 seconds", allowedGroups: [], userNameAttr: "x" }), [
    "connectors[0].config.allowedGroups: must list at least 1",
    'connectors[0].config.clockSkew: must be a duration such as 30s or 2m (got "30 seconds")',
    "connectors[0].config.emailAttr: required",
    'connectors[0].config.ssoURL: must be an http(s) URL (got "idp.example.org")',
    "connectors[0].config.userNameAttr: unknown field",
    "connectors[0].config.usernameAttr: must not be empty",
  ]);
});

test("the IdP certificate is required, signature checks cannot be turned off, and group options need their companions", async () => {
  assert.deepEqual(await checked({ ...base, insecureSkipSignatureValidation: true, allowedGroups: ["a"], filterGroups: true }), [
    "allowedGroups: needs groupsAttr (where the groups are read from)",
    "ca: required: the IdP's signing certificate (or caData)",
    "insecureSkipSignatureValidation: is not supported: kubeward always checks the IdP's signature (an unsigned response would let anyone log in as anyone); give the IdP's certificate in ca or caData",
  ]);
  assert.deepEqual(await checked({ ...base, ca: "/nonexistent.pem", caData: "bm90IGEgY2VydA==", filterGroups: true }), [
    'ca: cannot read "/nonexistent.pem": ENOENT',
    "caData: does not hold a PEM certificate (-----BEGIN CERTIFICATE-----)",
    "caData: give either ca or caData, not both",
    "filterGroups: needs allowedGroups (the groups to keep)",
  ]);
});

test("settings: certificates from base64 or PEM, NameID format names expanded, clock skew in milliseconds", async () => {
  const { certPem } = await createCertificateAuthority("idp");
  const fromBase64 = await checkSamlConfig({ ...base, caData: Buffer.from(certPem).toString("base64") });
  assert.equal(fromBase64.idpCerts.length, 1);
  assert.match(fromBase64.idpCerts[0] ?? "", /^-----BEGIN CERTIFICATE-----/);
  assert.deepEqual([fromBase64.nameIDFormat, fromBase64.clockSkewMs], ["urn:oasis:names:tc:SAML:2.0:nameid-format:persistent", 30_000]);
  const custom = await checkSamlConfig({ ...base, caData: certPem, nameIDPolicyFormat: "emailAddress", clockSkew: "2m" });
  assert.deepEqual([custom.nameIDFormat, custom.clockSkewMs], ["urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress", 120_000]);
  assert.equal((await checkSamlConfig({ ...base, caData: certPem, nameIDPolicyFormat: "urn:example:custom" })).nameIDFormat, "urn:example:custom");
});

test("through the registry, every problem names the field in the user's file", async () => {
  const deps = { clock: { now: () => 0 }, logger: createLogger({ level: "silent" }), fetch: globalThis.fetch };
  const e = await openConnector({ type: "saml", id: "okta", name: "Okta", config: { ...base, insecureSkipSignatureValidation: true } }, deps, { path: "connectors[3]" })
    .then(() => undefined, (err: unknown) => err);
  assert.ok(e instanceof ConfigError, String(e));
  const [ca, skip, ...rest] = e.lines().sort();
  assert.match(ca ?? "", /^kubeward: connectors\[3\]\.config\.ca: required/);
  assert.match(skip ?? "", /^kubeward: connectors\[3\]\.config\.insecureSkipSignatureValidation: is not supported/);
  assert.deepEqual(rest, []);
});
