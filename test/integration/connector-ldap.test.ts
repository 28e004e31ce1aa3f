/** The ldap connector against a real slapd (test/tools/slapd.ts): logins, refusals, injection, TLS, groups and refresh. */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { createLogger } from "../../src/log/logger.ts";
import { isKubewardError, type ErrorCode } from "../../src/errors.ts";
import type { ConnectorDeps, Identity, Scopes } from "../../src/issuer/connectors/connector.ts";
import { openLdapConnector } from "../../src/issuer/connectors/ldap/ldap-connector.ts";
import type { LdapConfig, LdapGroupSearch } from "../../src/issuer/connectors/ldap/ldap-config.ts";
import { connectorConformance } from "../conformance/connector.ts";
import { freePort } from "../fixtures/cluster/wait.ts";
import { LDAP_BASE, LDAP_SERVICE, startSlapd, type Slapd } from "../tools/slapd.ts";

const ALL: Scopes = { offlineAccess: true, groups: true };
const JANE = { username: "jane", password: "jane-secret-pw" };
const quietDeps: ConnectorDeps = { clock: { now: () => Date.now() }, logger: createLogger({ level: "silent" }), fetch: globalThis.fetch };
const BY_MEMBER: LdapGroupSearch = { baseDN: `ou=Groups,${LDAP_BASE}`, filter: "(objectClass=groupOfNames)", userMatchers: [{ userAttr: "DN", groupAttr: "member" }], nameAttr: "cn" };

/** StartTLS with the test CA, the service account, and a filter that leaves out disabled people. */
function configFor(s: Slapd, extra: Partial<LdapConfig> = {}): LdapConfig {
  return {
    host: s.host, startTLS: true, rootCAData: Buffer.from(s.caPem).toString("base64"),
    bindDN: LDAP_SERVICE.dn, bindPW: LDAP_SERVICE.password,
    userSearch: {
      baseDN: `ou=People,${LDAP_BASE}`, filter: "(&(objectClass=inetOrgPerson)(!(employeeType=disabled)))",
      username: "uid", idAttr: "uid", emailAttr: "mail", nameAttr: "cn", preferredUsernameAttr: "uid",
    },
    groupSearch: BY_MEMBER,
    ...extra,
  };
}

const rejectsWith = (p: Promise<unknown>, code: ErrorCode) =>
  assert.rejects(p, (e) => isKubewardError(e, code) || assert.fail(`expected ${code}, got ${String((e as { code?: string }).code)}: ${String(e)}`));

const groupsOf = async (s: Slapd, config: Partial<LdapConfig>, user = JANE) => {
  const c = await openLdapConnector("ldap", "LDAP", configFor(s, config), quietDeps);
  return (await c.login(ALL, user.username, user.password))?.groups;
};

connectorConformance("ldap (slapd, StartTLS)", async (deps) => {
  const s = await startSlapd();
  const connector = await openLdapConnector("ldap", "Directory", configFor(s), deps);
  let down = false;
  return {
    connector,
    expected: { username: "Jane Doe", email: "jane@example.org", groups: ["admins", "developers"] },
    login: (scopes) => connector.login(scopes, JANE.username, JANE.password),
    loginWrong: (scopes) => connector.login(scopes, JANE.username, "not-janes-password"),
    setGroups: async (groups) => {
      // jane is the only member of admins (a groupOfNames needs one): the group goes.
      const leave = [`dn: cn=admins,ou=Groups,${LDAP_BASE}\nchangetype: delete\n`, `dn: cn=developers,ou=Groups,${LDAP_BASE}\nchangetype: modify\ndelete: member\nmember: uid=jane,ou=People,${LDAP_BASE}\n`];
      const join = groups.map((g) => `dn: cn=${g},ou=Groups,${LDAP_BASE}\nchangetype: add\nobjectClass: groupOfNames\ncn: ${g}\nmember: uid=jane,ou=People,${LDAP_BASE}\n`);
      await s.modify([...leave, ...join].join("\n"));
    },
    removeUser: () => s.modify(`dn: uid=jane,ou=People,${LDAP_BASE}\nchangetype: delete\n`),
    takeDown: async () => { down = true; await s.stop(); },
    secrets: () => [JANE.password, "not-janes-password", LDAP_SERVICE.password],
    close: () => (down ? Promise.resolve() : s.stop()),
  };
});

describe("ldap connector against slapd", () => {
  let s: Slapd;
  before(async () => { s = await startSlapd(); });
  after(() => s.stop());

  test("a login reports the entry's id, name, preferred username, email and groups", async () => {
    const c = await openLdapConnector("ldap", "LDAP", configFor(s), quietDeps);
    const id = await c.login(ALL, "jane", JANE.password);
    assert.deepEqual({ ...id, connectorData: undefined }, {
      userID: "jane", username: "Jane Doe", preferredUsername: "jane", email: "jane@example.org", emailVerified: true,
      groups: ["admins", "developers"], connectorData: undefined,
    });
    assert.equal(c.usernamePrompt, "Username");
  });

  test("a wrong password, an unknown user, an empty password and users who may not log in all resolve undefined", async () => {
    const c = await openLdapConnector("ldap", "LDAP", configFor(s), quietDeps);
    assert.equal(await c.login(ALL, "jane", "wrong"), undefined);
    assert.equal(await c.login(ALL, "nobody", "whatever"), undefined);
    assert.equal(await c.login(ALL, "jane", ""), undefined);
    assert.equal(await c.login(ALL, "", "jane-secret-pw"), undefined);
    // Locked by ppolicy (pwdAccountLockedTime): slapd answers invalidCredentials even to the right password.
    assert.equal(await c.login(ALL, "carol", "carol-secret-pw"), undefined);
    // employeeType=disabled is left out by userSearch.filter (AD: userAccountControl's disabled bit).
    assert.equal(await c.login(ALL, "erin", "erin-secret-pw"), undefined);
    // No userPassword at all.
    assert.equal(await c.login(ALL, "dave", "anything"), undefined);
  });

  test("an empty password is refused before any connection (it would be an anonymous bind)", async () => {
    const closed = await freePort();
    const c = await openLdapConnector("ldap", "LDAP", configFor(s, { host: `127.0.0.1:${closed}` }), quietDeps);
    assert.equal(await c.login(ALL, "jane", ""), undefined);
    await assert.rejects(c.login(ALL, "jane", "x"), (e) => isKubewardError(e, "connector_unavailable") && /no connection to the directory \(ECONNREFUSED/.test(e.detail ?? ""));
  });

  test("LDAP injection in the username matches nothing", async () => {
    const c = await openLdapConnector("ldap", "LDAP", configFor(s), quietDeps);
    for (const attempt of ["*", "j*", "*)(uid=*", "jane)(|(uid=*", "admin)(|(uid=*", "jane)(uid=*))(|(uid=*", "jane\\2a", "*)(objectClass=*"]) {
      assert.equal(await c.login(ALL, attempt, JANE.password), undefined, attempt);
      assert.equal(await c.login(ALL, attempt, "admin-secret-pw"), undefined, attempt);
    }
    assert.equal((await c.login(ALL, "st*r", "star-secret-pw"))?.userID, "st*r");
    assert.equal(await c.login(ALL, "st*", "star-secret-pw"), undefined);
    assert.equal(await c.login(ALL, "*", "star-secret-pw"), undefined);
  });

  test("LDAPS and StartTLS need the CA (or insecureSkipVerify); plain LDAP works with insecureNoSSL", async () => {
    const { rootCAData: _, ...noCA } = configFor(s);
    const ok = async (config: LdapConfig) => assert.equal((await (await openLdapConnector("l", "L", config, quietDeps)).login(ALL, "jane", JANE.password))?.userID, "jane");
    const untrusted = async (config: LdapConfig) => assert.rejects((await openLdapConnector("l", "L", config, quietDeps)).login(ALL, "jane", JANE.password),
      (e) => isKubewardError(e, "connector_unavailable") && /certificate/i.test(e.detail ?? ""));
    await ok(configFor(s, { host: s.tlsHost, startTLS: false }));
    await untrusted({ ...noCA, host: s.tlsHost, startTLS: false });
    await ok(configFor(s));
    await untrusted(noCA);
    await ok({ ...noCA, insecureSkipVerify: true });
    const { rootCAData: _ca, startTLS: _st, ...plain } = configFor(s);
    await ok({ ...plain, insecureNoSSL: true });
  });

  test("groups are found by member DN, by memberUid, through memberOf, and nested through further searches", async () => {
    assert.deepEqual(await groupsOf(s, {}), ["admins", "developers"]);
    assert.deepEqual(await groupsOf(s, { groupSearch: { ...BY_MEMBER, nestedGroups: "search" } }), ["admins", "developers", "engineering"]);
    assert.deepEqual(await groupsOf(s, { groupSearch: { ...BY_MEMBER, nestedGroups: "search" } }, { username: "john", password: "john-secret-pw" }), ["developers", "engineering"]);
    const byUid = { baseDN: `ou=Groups,${LDAP_BASE}`, filter: "(objectClass=posixGroup)", userMatchers: [{ userAttr: "uid", groupAttr: "memberUid" }], nameAttr: "cn" };
    assert.deepEqual(await groupsOf(s, { groupSearch: byUid }), ["ops"]);
    assert.deepEqual(await groupsOf(s, { groupSearch: byUid }, { username: "st*r", password: "star-secret-pw" }), ["ops"]);
    const byMemberOf = { baseDN: `ou=Groups,${LDAP_BASE}`, userMatchers: [{ userAttr: "memberOf", groupAttr: "entryDN" }], nameAttr: "cn" };
    assert.deepEqual(await groupsOf(s, { groupSearch: byMemberOf }), ["admins", "developers"]);
    const both = { ...BY_MEMBER, filter: "(|(objectClass=groupOfNames)(objectClass=posixGroup))", userMatchers: [...BY_MEMBER.userMatchers, ...byUid.userMatchers] };
    assert.deepEqual(await groupsOf(s, { groupSearch: both }), ["admins", "developers", "ops"]);
  });

  test("a wrong service account password is an outage, and no password reaches the log", async () => {
    const lines: string[] = [];
    const destination = new Writable({ write(chunk: Buffer, _e, done) { lines.push(chunk.toString("utf8")); done(); } });
    const c = await openLdapConnector("ldap", "LDAP", configFor(s, { bindPW: "wrong-service-pw" }), { ...quietDeps, logger: createLogger({ level: "trace", destination }) });
    await rejectsWith(c.login(ALL, "jane", JANE.password), "connector_unavailable");
    assert.ok(lines.some((l) => l.includes("service account")), lines.join(""));
    for (const secret of ["wrong-service-pw", JANE.password]) assert.ok(!lines.join("").includes(secret));
  });

  test("more than one entry for a username is refused, not guessed", async () => {
    const c = await openLdapConnector("ldap", "LDAP", configFor(s, { userSearch: { ...configFor(s).userSearch, username: "objectClass" } }), quietDeps);
    await rejectsWith(c.login(ALL, "inetOrgPerson", JANE.password), "connector_refused");
  });
});

describe("ldap refresh against slapd", () => {
  test("a refresh refuses a user disabled since login, or whose id changed", async () => {
    const s = await startSlapd();
    try {
      const c = await openLdapConnector("ldap", "LDAP", configFor(s), quietDeps);
      const jane = await c.login(ALL, "jane", JANE.password) as Identity;
      const john = await c.login(ALL, "john", "john-secret-pw") as Identity;
      await s.modify(`dn: uid=jane,ou=People,${LDAP_BASE}\nchangetype: modify\nadd: employeeType\nemployeeType: disabled\n`);
      await rejectsWith(c.refresh(ALL, jane), "connector_refused");
      await rejectsWith(c.refresh(ALL, { ...john, userID: "someone-else" }), "connector_refused");
      assert.deepEqual((await c.refresh({ offlineAccess: true, groups: false }, john)).groups, []);
    } finally {
      await s.stop();
    }
  });

  test("an unreachable directory is connector_unavailable at login and refresh", async () => {
    const s = await startSlapd();
    const c = await openLdapConnector("ldap", "LDAP", configFor(s, { host: s.tlsHost, startTLS: false }), quietDeps);
    const jane = await c.login(ALL, "jane", JANE.password) as Identity;
    await s.stop();
    await rejectsWith(c.login(ALL, "jane", JANE.password), "connector_unavailable");
    await rejectsWith(c.refresh(ALL, jane), "connector_unavailable");
  });
});
