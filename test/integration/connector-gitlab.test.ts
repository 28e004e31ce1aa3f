/** The gitlab connector against the GitLab fake over HTTPS: gitlab.com (host rewritten) and a self-hosted instance under /gitlab. */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { ConnectorDeps } from "../../src/issuer/connectors/connector.ts";
import { openGitLabConnector } from "../../src/issuer/connectors/gitlab/gitlab-connector.ts";
import type { GitLabConfig } from "../../src/issuer/connectors/gitlab/gitlab-config.ts";
import { connectorConformance } from "../conformance/connector.ts";
import { startFakeGitLab, type FakeGitLab, type GitLabUser } from "../tools/fakes/gitlab.ts";
import { ALL, CALLBACK, logIn, quietDeps, rejectsWith, underTest } from "../tools/fakes/connector-flow.ts";

const SECRET = "gloas-gitlab-application-secret";
const ALICE: GitLabUser = { id: 77, username: "alice", name: "Alice Liddell", email: "alice@example.com", groups: [{ path: "platform", role: "owner" }, { path: "platform/k8s", role: "developer" }, { path: "docs", role: "guest" }] };
const client = { clientID: "kubeward-gl", clientSecret: SECRET, redirectURI: CALLBACK };

async function fake(root = ""): Promise<FakeGitLab> {
  const gl = await startFakeGitLab(client, root);
  gl.setUser(ALICE);
  return gl;
}

const open = (gl: FakeGitLab, extra: Partial<GitLabConfig> = {}, deps: ConnectorDeps = quietDeps) => openGitLabConnector("gitlab", "GitLab", { ...client, ...extra }, { ...deps, fetch: gl.https.fetch });
const browser = (gl: FakeGitLab) => (u: string) => gl.signIn(u, "alice");

connectorConformance("gitlab (fake gitlab.com)", async (deps) => {
  const gl = await fake();
  const connector = await open(gl, {}, deps);
  return underTest({
    connector,
    expected: { username: "Alice Liddell", email: "alice@example.com", groups: ["platform", "platform/k8s", "docs"] },
    signIn: (url, deny) => gl.signIn(url, "alice", { deny }),
    secrets: () => [SECRET, ...gl.authority.issued],
    setGroups: (groups) => Promise.resolve(gl.setUser({ ...ALICE, groups: groups.map((path) => ({ path, role: "developer" })) })),
    removeUser: () => Promise.resolve(gl.removeUser("alice")),
    close: () => gl.close(),
  });
});

test("gitlab.com: read_user alone without groups, read_user openid with them; state and PKCE; numeric id or username", async () => {
  const gl = await fake();
  const c = await open(gl);
  const byLogin = await open(gl, { useLoginAsID: true });
  try {
    const withGroups = new URL((await c.loginURL(ALL, CALLBACK, "s")).url);
    const without = new URL((await c.loginURL({ offlineAccess: false, groups: false }, CALLBACK, "s")).url);
    assert.equal(withGroups.origin + withGroups.pathname, "https://gitlab.com/oauth/authorize");
    assert.deepEqual([withGroups.searchParams.get("scope"), without.searchParams.get("scope"), withGroups.searchParams.get("code_challenge_method")], ["read_user openid", "read_user", "S256"]);
    const id = await logIn(c, browser(gl), { offlineAccess: false, groups: false });
    assert.deepEqual([id.userID, id.preferredUsername, id.groups], ["77", "alice", []]);
    assert.ok(!gl.https.requests.some((r) => r.path === "/oauth/userinfo"), "no userinfo call without groups");
    assert.equal((await logIn(byLogin, browser(gl))).userID, "alice");
  } finally {
    await Promise.all([c.close(), byLogin.close()]);
    await gl.close();
  }
});

test("groups: only members log in and only the listed groups are kept; getGroupsPermission adds group:role (a parent's role applies to subgroups)", async () => {
  const gl = await fake();
  const listed = await open(gl, { groups: ["platform/k8s", "absent"] });
  const roles = await open(gl, { getGroupsPermission: true });
  const outsider = await open(gl, { groups: ["finance"] });
  try {
    assert.deepEqual((await logIn(listed, browser(gl))).groups, ["platform/k8s"]);
    assert.deepEqual((await logIn(roles, browser(gl))).groups, ["platform", "platform/k8s", "docs", "platform:owner", "platform/k8s:owner"]);
    await rejectsWith(logIn(outsider, browser(gl), { offlineAccess: false, groups: false }), "connector_refused", /none of the allowed groups/);
  } finally {
    await Promise.all([listed.close(), roles.close(), outsider.close()]);
    await gl.close();
  }
});

test("self-hosted: baseURL with a relative URL root; a blocked user is refused at refresh", async () => {
  const gl = await fake("/gitlab");
  const c = await open(gl, { baseURL: `${gl.https.origin}/gitlab` });
  try {
    const id = await logIn(c, browser(gl));
    assert.deepEqual(id.groups, ["platform", "platform/k8s", "docs"]);
    assert.ok(gl.https.requests.every((r) => r.path.startsWith("/gitlab/") && r.host !== "gitlab.com"));
    gl.setUser({ ...ALICE, state: "blocked" });
    await rejectsWith(c.refresh(ALL, id), "connector_refused", /blocked/);
  } finally {
    await c.close();
    await gl.close();
  }
});

test("errors: a wrong secret (401 invalid_client), a replayed code (invalid_grant), a forged state, a denied app", async () => {
  const gl = await fake();
  const wrong = await open(gl, { clientSecret: "nope" });
  const c = await open(gl);
  try {
    await rejectsWith(logIn(wrong, browser(gl)), "connector_refused", /HTTP 401.*invalid_client/);
    const { url, saved } = await c.loginURL(ALL, CALLBACK, "st");
    const back = await gl.signIn(url, "alice");
    await rejectsWith(c.handleCallback(ALL, CALLBACK, back, { ...saved, state: "forged" }), "connector_callback_invalid", /state/);
    await c.handleCallback(ALL, CALLBACK, back, saved);
    await rejectsWith(c.handleCallback(ALL, CALLBACK, back, saved), "connector_callback_invalid", /invalid_grant/);
    await rejectsWith(logIn(c, (u) => gl.signIn(u, "alice", { deny: true })), "connector_refused", /access_denied/);
  } finally {
    await Promise.all([wrong.close(), c.close()]);
    await gl.close();
  }
});
