/** The generic oauth connector against a fake RFC 6749 provider over HTTPS, trusted through rootCAs. */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { ConnectorDeps } from "../../src/issuer/connectors/connector.ts";
import { openOAuthConnector } from "../../src/issuer/connectors/oauth/oauth-connector.ts";
import type { OAuthConfig } from "../../src/issuer/connectors/oauth/oauth-config.ts";
import { connectorConformance } from "../conformance/connector.ts";
import { startFakeOAuth2, type ClientAuthMethods, type FakeOAuth2 } from "../tools/fakes/oauth2-server.ts";
import { ALL, CALLBACK, capturingDeps, logIn, quietDeps, rejectsWith, underTest } from "../tools/fakes/connector-flow.ts";

const SECRET = "generic-oauth-client-secret";
/** A userinfo document with the identity nested, as many in-house providers answer. */
const aliceInfo = (groups: unknown[] = [{ name: "dev" }, "ops"]) => ({ data: { uid: 4242, login: "alice", display: "Alice Liddell", mail: "alice@example.com", mail_ok: true, teams: groups } });

async function fake(methods?: ClientAuthMethods): Promise<FakeOAuth2> {
  const up = await startFakeOAuth2({ clientID: "kubeward", clientSecret: SECRET, redirectURI: CALLBACK }, methods);
  up.setUser("alice", aliceInfo());
  return up;
}

function config(up: FakeOAuth2, extra: Partial<OAuthConfig> = {}): OAuthConfig {
  return {
    authorizationURL: up.authorizationURL, tokenURL: up.tokenURL, userInfoURL: up.userInfoURL,
    clientID: "kubeward", clientSecret: SECRET, redirectURI: CALLBACK, scopes: ["profile", "groups"], rootCAs: [up.https.caPem],
    userIDKey: "data.uid",
    claimMapping: { userNameKey: "data.display", preferredUsernameKey: "data.login", emailKey: "data.mail", emailVerifiedKey: "data.mail_ok", groupsKey: "data.teams" },
    ...extra,
  };
}

const open = (up: FakeOAuth2, extra: Partial<OAuthConfig> = {}, deps: ConnectorDeps = quietDeps) => openOAuthConnector("corp", "Corp", config(up, extra), deps);

connectorConformance("oauth (fake RFC 6749 provider)", async (deps) => {
  const up = await fake();
  const connector = await open(up, {}, deps);
  return underTest({
    connector,
    expected: { username: "Alice Liddell", email: "alice@example.com", groups: ["dev", "ops"] },
    signIn: (url, deny) => up.signIn(url, "alice", { deny }),
    secrets: () => [SECRET, ...up.authority.issued],
    setGroups: (groups) => Promise.resolve(up.setUser("alice", aliceInfo([...groups]))),
    removeUser: () => Promise.resolve(up.removeUser("alice")),
    close: () => up.close(),
  });
});

test("nested claim paths: numeric ids, groups as strings or {name}, verified email, preferred username", async () => {
  const up = await fake();
  const c = await open(up);
  try {
    const url = new URL((await c.loginURL(ALL, CALLBACK, "s")).url);
    assert.deepEqual([url.searchParams.get("scope"), url.searchParams.get("code_challenge_method"), url.searchParams.get("response_type")], ["profile groups", "S256", "code"]);
    const id = await logIn(c, (u) => up.signIn(u, "alice"));
    assert.deepEqual(
      { userID: id.userID, username: id.username, preferred: id.preferredUsername, email: id.email, verified: id.emailVerified, groups: id.groups },
      { userID: "4242", username: "Alice Liddell", preferred: "alice", email: "alice@example.com", verified: true, groups: ["dev", "ops"] },
    );
    const token = up.https.requests.find((r) => r.path === "/oauth/token");
    assert.match(String(token?.headers.authorization), /^Basic /, "the client authenticates with HTTP Basic");
  } finally {
    await c.close();
    await up.close();
  }
});

test("Dex's default keys (id, user_name, email, groups) when no mapping is set; a missing user id is refused", async () => {
  const up = await fake();
  up.setUser("alice", { id: "u-1", user_name: "alice", email: "a@example.com", groups: ["g"] });
  const { claimMapping: _, userIDKey: __, ...plain } = config(up);
  const c = await openOAuthConnector("o", "O", plain, quietDeps);
  try {
    const id = await logIn(c, (u) => up.signIn(u, "alice"));
    assert.deepEqual([id.userID, id.username, id.emailVerified, id.groups], ["u-1", "alice", false, ["g"]]);
    up.setUser("alice", { user_name: "alice" });
    await rejectsWith(logIn(c, (u) => up.signIn(u, "alice")), "connector_callback_invalid", /no "id"/);
  } finally {
    await c.close();
    await up.close();
  }
});

test("allowedGroups refuses outsiders (at login and refresh); keepGroups drops the rest", async () => {
  const up = await fake();
  const allowed = await open(up, { allowedGroups: ["ops"] });
  const kept = await open(up, { keepGroups: ["dev"] });
  const browser = (u: string) => up.signIn(u, "alice");
  try {
    const id = await logIn(allowed, browser);
    assert.deepEqual((await logIn(kept, browser)).groups, ["dev"]);
    up.setUser("alice", aliceInfo(["dev"]));
    await rejectsWith(allowed.refresh(ALL, id), "connector_refused", /none of the allowed groups/);
    await rejectsWith(logIn(allowed, browser), "connector_refused");
  } finally {
    await Promise.all([allowed.close(), kept.close()]);
    await up.close();
  }
});

test("TLS: the fake's CA must be trusted; insecureSkipVerify skips the check", async () => {
  const up = await fake();
  const { rootCAs: _, ...noCA } = config(up);
  const untrusted = await openOAuthConnector("o", "O", noCA, quietDeps);
  const insecure = await openOAuthConnector("o", "O", { ...noCA, insecureSkipVerify: true }, quietDeps);
  try {
    await rejectsWith(logIn(untrusted, (u) => up.signIn(u, "alice")), "connector_unavailable", /oauth\/token/);
    assert.equal((await logIn(insecure, (u) => up.signIn(u, "alice"))).username, "Alice Liddell");
  } finally {
    await Promise.all([untrusted.close(), insecure.close()]);
    await up.close();
  }
});

test("a wrong client secret (401 invalid_client) is refused; a refresh token rotated upstream is used once", async () => {
  const up = await fake();
  const wrong = await open(up, { clientSecret: "not-it" });
  const c = await open(up);
  try {
    await rejectsWith(logIn(wrong, (u) => up.signIn(u, "alice")), "connector_refused", /HTTP 401.*invalid_client/);
    const id = await logIn(c, (u) => up.signIn(u, "alice"));
    const next = await c.refresh(ALL, id);
    assert.notEqual((next.connectorData as { refreshToken: string }).refreshToken, (id.connectorData as { refreshToken: string }).refreshToken);
    await rejectsWith(c.refresh(ALL, id), "connector_refused", /invalid_grant/);
    assert.equal((await c.refresh(ALL, next)).userID, "4242");
  } finally {
    await Promise.all([wrong.close(), c.close()]);
    await up.close();
  }
});

test("failures are logged as a warning with their code and reason, never with the secret, a code or a token", async () => {
  const up = await fake();
  const { deps, lines } = capturingDeps();
  const wrong = await open(up, { clientSecret: `${SECRET}-wrong` }, deps);
  const c = await open(up, {}, deps);
  try {
    await rejectsWith(logIn(wrong, (u) => up.signIn(u, "alice")), "connector_refused");
    const id = await logIn(c, (u) => up.signIn(u, "alice"));
    up.removeUser("alice");
    await rejectsWith(c.refresh(ALL, id), "connector_refused");
    const warnings = lines.map((l) => JSON.parse(l) as { level: string; code?: string; reason?: string; msg: string }).filter((l) => l.level === "warn");
    assert.deepEqual(warnings.map((w) => [w.msg, w.code]), [["oauth callback failed", "connector_refused"], ["oauth refresh failed", "connector_refused"]]);
    assert.match(warnings[0]?.reason ?? "", /invalid_client/);
    for (const secret of [SECRET, ...up.authority.issued]) for (const line of lines) assert.ok(!line.includes(secret), `logged: ${line}`);
  } finally {
    await Promise.all([wrong.close(), c.close()]);
    await up.close();
  }
});

test("client authentication: HTTP Basic first, the form when the provider takes only client_secret_post (as Go's AuthStyleAutoDetect)", async () => {
  const up = await fake(["client_secret_post"]);
  const c = await open(up);
  try {
    const id = await logIn(c, (u) => up.signIn(u, "alice"));
    const tries = up.https.requests.filter((r) => r.path === "/oauth/token");
    assert.deepEqual(tries.map((r) => [r.headers.authorization?.split(" ")[0] ?? "form", new URLSearchParams(r.body).has("client_secret")]), [["Basic", false], ["form", true]]);
    assert.equal((await c.refresh(ALL, id)).userID, "4242");
  } finally {
    await c.close();
    await up.close();
  }
});
