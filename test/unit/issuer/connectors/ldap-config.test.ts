/** The ldap connector's config: schema problems naming the field, field combinations, and where it connects. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ConfigError } from "../../../../src/config/errors.ts";
import { schemaProblems } from "../../../../src/issuer/connectors/config-problems.ts";
import { checkLdapConfig, ldapConfigSchema, type LdapConfig } from "../../../../src/issuer/connectors/ldap/ldap-config.ts";
import { createCertificateAuthority } from "../../../../src/pki/certificates.ts";
import { createLogger } from "../../../../src/log/logger.ts";
import { openConnector } from "../../../../src/issuer/connectors/registry.ts";

const USERS = { baseDN: "ou=People,dc=example,dc=org", username: "uid", idAttr: "uid", emailAttr: "mail" };
const base: LdapConfig = { host: "ldap.example.org", userSearch: USERS };

const problems = (config: unknown) => schemaProblems(ldapConfigSchema, config, "connectors[0].config").map((p) => `${p.path}: ${p.message}`).sort();
const checked = (config: LdapConfig) => checkLdapConfig(config).then(() => [], (e: unknown) => {
  assert.ok(e instanceof ConfigError, String(e));
  return e.problems.map((p) => `${p.path}: ${p.message}`).sort();
});

test("the schema accepts a Dex config and names every bad field", () => {
  assert.deepEqual(problems({
    host: "ldap.example.org:636", bindDN: "cn=svc,dc=example,dc=org", bindPW: "pw", usernamePrompt: "Email",
    userSearch: { ...USERS, filter: "(objectClass=person)", nameAttr: "cn", preferredUsernameAttr: "uid", scope: "one" },
    groupSearch: { baseDN: "ou=Groups,dc=example,dc=org", filter: "(objectClass=groupOfNames)", userMatchers: [{ userAttr: "DN", groupAttr: "member" }], nameAttr: "cn" },
  }), []);
  assert.deepEqual(problems({ host: "ldaps://x", userSearch: { baseDN: "", username: "uid", idAttr: "u id", filter: "objectClass=person", scope: "subtree" }, groupSearch: { baseDN: "x", nameAttr: "cn", userMatchers: [] }, bindPw: "x" }), [
    "connectors[0].config.bindPw: unknown field",
    "connectors[0].config.groupSearch.userMatchers: must list at least 1",
    'connectors[0].config.host: must be host or host:port (no scheme) (got "ldaps://x")',
    "connectors[0].config.userSearch.baseDN: must not be empty",
    'connectors[0].config.userSearch.filter: must be an LDAP filter in parentheses (got "objectClass=person")',
    'connectors[0].config.userSearch.idAttr: must be an attribute name (or DN) (got "u id")',
    'connectors[0].config.userSearch.scope: must be sub or one (got "subtree")',
  ]);
});

test("combinations the schema cannot see are refused, each naming its field", async () => {
  assert.deepEqual(await checked({ ...base, insecureNoSSL: true, startTLS: true, bindDN: "cn=svc", userSearch: { ...USERS, emailAttr: undefined as unknown as string } }), [
    "bindPW: bindDN and bindPW go together",
    "startTLS: cannot be combined with insecureNoSSL: true (which turns TLS off)",
    "userSearch.emailAttr: required (or set userSearch.emailSuffix)",
  ]);
  assert.deepEqual(await checked({ ...base, rootCA: "/nonexistent/ca.pem", rootCAData: "bm90IGEgY2VydA==" }), [
    'rootCA: cannot read "/nonexistent/ca.pem": ENOENT',
    "rootCAData: does not hold a PEM certificate (-----BEGIN CERTIFICATE-----)",
    "rootCAData: give either rootCA or rootCAData, not both",
  ]);
});

test("the URL follows Dex's ports: 636 for LDAPS, 389 for plain and StartTLS; rootCAData may be base64 or PEM", async () => {
  const ca = await createCertificateAuthority("test");
  assert.equal((await checkLdapConfig(base)).url, "ldaps://ldap.example.org:636");
  assert.equal((await checkLdapConfig({ ...base, insecureNoSSL: true })).url, "ldap://ldap.example.org:389");
  const startTLS = await checkLdapConfig({ ...base, host: "[::1]:1389", startTLS: true, rootCAData: Buffer.from(ca.certPem).toString("base64") });
  assert.deepEqual([startTLS.url, startTLS.hostname, startTLS.startTLS, startTLS.caPem], ["ldap://[::1]:1389", "::1", true, ca.certPem]);
  assert.equal((await checkLdapConfig({ ...base, rootCAData: ca.certPem })).caPem, ca.certPem);
});

test("through the registry, every problem names the field in the user's file", async () => {
  const deps = { clock: { now: () => 0 }, logger: createLogger({ level: "silent" }), fetch: globalThis.fetch };
  const e = await openConnector({ type: "ldap", id: "corp", name: "Corp", config: { host: "ldap.example.org", startTLS: true, insecureNoSSL: true, userSearch: { ...USERS, scope: "all" } } }, deps, { path: "connectors[2]" })
    .then(() => undefined, (err: unknown) => err);
  assert.ok(e instanceof ConfigError, String(e));
  assert.deepEqual(e.lines(), ['kubeward: connectors[2].config.userSearch.scope: must be sub or one (got "all")']);
  const e2 = await openConnector({ type: "ldap", id: "corp", name: "Corp", config: { host: "ldap.example.org", startTLS: true, insecureNoSSL: true, userSearch: USERS } }, deps, { path: "connectors[2]" })
    .then(() => undefined, (err: unknown) => err);
  assert.ok(e2 instanceof ConfigError, String(e2));
  assert.deepEqual(e2.lines(), ["kubeward: connectors[2].config.startTLS: cannot be combined with insecureNoSSL: true (which turns TLS off)"]);
});

test("nested groups need a DN matcher", async () => {
  const groupSearch = { baseDN: "ou=Groups,dc=example,dc=org", nameAttr: "cn", userMatchers: [{ userAttr: "uid", groupAttr: "memberUid" }], nestedGroups: "search" as const };
  assert.deepEqual(await checked({ ...base, groupSearch }), [
    "groupSearch.nestedGroups: needs a userMatchers entry with userAttr: DN (groups name their member groups by DN)",
  ]);
  assert.deepEqual(await checked({ ...base, groupSearch: { ...groupSearch, userMatchers: [...groupSearch.userMatchers, { userAttr: "DN", groupAttr: "member" }] } }), []);
});
