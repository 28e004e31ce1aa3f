/** The microsoft connector against the Microsoft identity platform and Graph fake over HTTPS. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ConfigError } from "../../src/config/errors.ts";
import type { ConnectorDeps } from "../../src/issuer/connectors/connector.ts";
import { openMicrosoftConnector } from "../../src/issuer/connectors/microsoft/microsoft-connector.ts";
import type { MicrosoftConfig } from "../../src/issuer/connectors/microsoft/microsoft-config.ts";
import { connectorConformance } from "../conformance/connector.ts";
import { startFakeMicrosoft, type EntraGroup, type EntraUser, type FakeMicrosoft, type FakeMicrosoftOptions } from "../tools/fakes/microsoft.ts";
import { ALL, CALLBACK, logIn, quietDeps, rejectsWith, underTest } from "../tools/fakes/connector-flow.ts";

const SECRET = "entra-client-secret~value";
const group = (name: string, securityEnabled = true): EntraGroup => ({ id: `id-${name}`, displayName: name, securityEnabled });
const ALICE: EntraUser = { oid: "11111111-aaaa-4bbb-8ccc-000000000001", displayName: "Alice Liddell", mail: "Alice@Contoso.com", userPrincipalName: "alice@contoso.onmicrosoft.com", groups: [group("dev"), group("ops"), group("m365-team", false)] };

async function fake(options: Partial<FakeMicrosoftOptions> = {}, user: EntraUser = ALICE): Promise<FakeMicrosoft> {
  const ms = await startFakeMicrosoft({ clientID: "kubeward-app", clientSecret: SECRET, redirectURI: CALLBACK, groupMembershipClaims: "All", ...options });
  ms.setUser(user);
  return ms;
}

function open(ms: FakeMicrosoft, extra: Partial<MicrosoftConfig> = {}, deps: ConnectorDeps = quietDeps) {
  return openMicrosoftConnector("entra", "Microsoft", { clientID: "kubeward-app", clientSecret: SECRET, redirectURI: CALLBACK, tenant: ms.tenantDomain, ...extra }, { ...deps, fetch: ms.https.fetch });
}

const graphGroupCalls = (ms: FakeMicrosoft) => ms.https.requests.filter((r) => r.path.includes("transitiveMemberOf"));
const browser = (ms: FakeMicrosoft) => (u: string) => ms.signIn(u, ALICE.userPrincipalName);

connectorConformance("microsoft (fake Entra ID and Graph)", async (deps) => {
  const ms = await fake();
  const connector = await open(ms, { onlySecurityGroups: true, emailToLowercase: true }, deps);
  return underTest({
    connector,
    expected: { username: "Alice Liddell", email: "alice@contoso.com", groups: ["dev", "ops"] },
    signIn: (url, deny) => ms.signIn(url, ALICE.userPrincipalName, { deny }),
    secrets: () => [SECRET, ...ms.authority.issued],
    setGroups: (groups) => Promise.resolve(ms.setUser({ ...ALICE, groups: groups.map((g) => group(g)) })),
    removeUser: () => Promise.resolve(ms.removeUser(ALICE.userPrincipalName)),
    close: () => ms.close(),
  });
});

test("the authorization request: tenant in the path, scopes for groups and refresh, prompt, domain_hint, state and PKCE", async () => {
  const ms = await fake();
  const c = await open(ms, { promptType: "select_account", domainHint: "contoso.com" });
  try {
    const url = new URL((await c.loginURL(ALL, CALLBACK, "st")).url);
    assert.equal(url.origin + url.pathname, `https://login.microsoftonline.com/${ms.tenantDomain}/oauth2/v2.0/authorize`);
    const p = url.searchParams;
    assert.deepEqual([p.get("scope"), p.get("prompt"), p.get("domain_hint"), p.get("state"), p.get("code_challenge_method")],
      ["openid user.read directory.read.all offline_access", "select_account", "contoso.com", "st", "S256"]);
    const id = await logIn(c, browser(ms));
    assert.deepEqual([id.userID, id.preferredUsername, id.email, id.groups], [ALICE.oid, ALICE.userPrincipalName, "Alice@Contoso.com", ["dev", "ops", "m365-team"]]);
  } finally {
    await c.close();
    await ms.close();
  }
});

test("groupNameFormat id takes the groups from the ID token when it carries them all", async () => {
  const ms = await fake();
  const c = await open(ms, { groupNameFormat: "id" });
  try {
    assert.deepEqual((await logIn(c, browser(ms))).groups, ["id-dev", "id-ops", "id-m365-team"]);
    assert.equal(graphGroupCalls(ms).length, 0, "no Graph call is needed");
  } finally {
    await c.close();
    await ms.close();
  }
});

test("overage: an ID token with _claim_names.groups (or hasgroups) sends kubeward to Graph, which pages with @odata.nextLink", async () => {
  const many: EntraGroup[] = Array.from({ length: 7 }, (_, i) => group(`g${i}`));
  for (const hasGroupsMarker of [false, true]) {
    const ms = await fake({ groupsClaimLimit: 5, graphPageSize: 3, hasGroupsMarker }, { ...ALICE, groups: many });
    const c = await open(ms, { groupNameFormat: "id" });
    try {
      const id = await logIn(c, browser(ms));
      assert.deepEqual(id.groups, many.map((g) => g.id));
      assert.deepEqual(graphGroupCalls(ms).map((r) => r.query.get("$skiptoken")), [null, "3", "6"]);
      assert.ok(graphGroupCalls(ms).every((r) => r.host === "graph.microsoft.com"));
    } finally {
      await c.close();
      await ms.close();
    }
  }
});

test("groups, useGroupsAsWhitelist and onlySecurityGroups: outsiders are refused, and only the listed groups kept", async () => {
  const ms = await fake();
  const listed = await open(ms, { groups: ["ops", "m365-team", "absent"], useGroupsAsWhitelist: true });
  const allKept = await open(ms, { groups: ["ops"] });
  const security = await open(ms, { groups: ["m365-team"], onlySecurityGroups: true });
  try {
    assert.deepEqual((await logIn(listed, browser(ms))).groups, ["ops", "m365-team"]);
    assert.deepEqual((await logIn(allKept, browser(ms))).groups, ["dev", "ops", "m365-team"]);
    await rejectsWith(logIn(security, browser(ms)), "connector_refused", /none of the allowed groups/);
    const noGroupsScope = await logIn(allKept, browser(ms), { offlineAccess: false, groups: false });
    assert.deepEqual(noGroupsScope.groups, [], "the allowed-groups check still ran, but no groups are passed on");
  } finally {
    await Promise.all([listed.close(), allKept.close(), security.close()]);
    await ms.close();
  }
});

test("tenant common reads no groups (and refuses a groups list); mail falls back to the UPN", async () => {
  const ms = await fake({}, { ...ALICE, mail: null });
  const c = await open(ms, { tenant: "common" });
  try {
    const url = new URL((await c.loginURL(ALL, CALLBACK, "s")).url);
    assert.equal(url.searchParams.get("scope"), "openid user.read offline_access");
    const id = await logIn(c, browser(ms));
    assert.deepEqual([id.email, id.groups], [ALICE.userPrincipalName, []]);
  } finally {
    await c.close();
    await ms.close();
  }
  await assert.rejects(openMicrosoftConnector("m", "M", { clientID: "a", clientSecret: "b", groups: ["x"] }, quietDeps),
    (e) => e instanceof ConfigError && e.problems[0]?.path === "groups" && /needs tenant set/.test(e.problems[0].message));
});

test("national clouds: apiURL and graphURL point at other hosts", async () => {
  const ms = await fake();
  const c = await open(ms, { tenant: ms.tenantID, apiURL: ms.https.origin, graphURL: ms.https.origin });
  try {
    assert.ok((await c.loginURL(ALL, CALLBACK, "s")).url.startsWith(`${ms.https.origin}/${ms.tenantID}/oauth2/v2.0/authorize?`));
    assert.deepEqual((await logIn(c, browser(ms))).groups, ["dev", "ops", "m365-team"]);
    assert.ok(ms.https.requests.every((r) => !["login.microsoftonline.com", "graph.microsoft.com"].includes(r.host)));
  } finally {
    await c.close();
    await ms.close();
  }
});

test("errors: a wrong secret (AADSTS7000215), Graph refusing the groups (403), Graph down (503)", async () => {
  const ms = await fake();
  const wrong = await open(ms, { clientSecret: "wrong" });
  const narrow = await open(ms, { scopes: ["user.read"], tenant: "organizations" });
  const down = await openMicrosoftConnector("m", "M", { clientID: "kubeward-app", clientSecret: SECRET, redirectURI: CALLBACK, tenant: ms.tenantID },
    { ...quietDeps, fetch: async (input, init) => (String(input).includes("graph.microsoft.com") ? new Response("", { status: 503 }) : ms.https.fetch(input, init)) });
  const denied = await open(ms);
  try {
    await rejectsWith(logIn(wrong, browser(ms)), "connector_refused", /HTTP 401.*AADSTS7000215/);
    assert.equal((await logIn(narrow, browser(ms))).username, "Alice Liddell");
    await rejectsWith(logIn(down, browser(ms)), "connector_unavailable", /HTTP 503/);
    // Consent without directory.read.all gives a token Graph refuses for groups (403 Authorization_RequestDenied).
    await rejectsWith(logIn(denied, (u) => ms.signIn(u.replace("directory.read.all", "profile"), ALICE.userPrincipalName)), "connector_refused", /HTTP 403.*Authorization_RequestDenied/);
  } finally {
    await Promise.all([wrong.close(), narrow.close(), down.close(), denied.close()]);
    await ms.close();
  }
});
