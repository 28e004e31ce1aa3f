/** The github connector against the GitHub fake over HTTPS: github.com (hosts rewritten) and Enterprise Server (hostName). */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { ConnectorDeps } from "../../src/issuer/connectors/connector.ts";
import { openGitHubConnector } from "../../src/issuer/connectors/github/github-connector.ts";
import type { GitHubConfig } from "../../src/issuer/connectors/github/github-config.ts";
import { connectorConformance } from "../conformance/connector.ts";
import { startFakeGitHub, type FakeGitHub, type GitHubUser } from "../tools/fakes/github.ts";
import { ALL, CALLBACK, logIn, quietDeps, rejectsWith, underTest } from "../tools/fakes/connector-flow.ts";

const SECRET = "github-client-secret-value";
const ALICE: GitHubUser = {
  login: "alice", id: 1001, name: "Alice Liddell", email: null,
  emails: [{ email: "alice@old.example", primary: false, verified: true }, { email: "alice@example.com", primary: true, verified: true }],
  orgs: ["acme"], teams: [{ org: "acme", name: "Site Reliability", slug: "site-reliability" }],
};

async function fake(user: GitHubUser = ALICE, expiringTokens = false): Promise<FakeGitHub> {
  const gh = await startFakeGitHub({ clientID: "kubeward-gh", clientSecret: SECRET, redirectURI: CALLBACK, expiringTokens });
  gh.setUser(user);
  return gh;
}

const base = { clientID: "kubeward-gh", clientSecret: SECRET, redirectURI: CALLBACK };

async function open(gh: FakeGitHub, extra: Partial<GitHubConfig> = {}, deps: ConnectorDeps = quietDeps) {
  return openGitHubConnector("github", "GitHub", { ...base, ...extra }, { ...deps, fetch: gh.https.fetch });
}

connectorConformance("github (fake github.com)", async (deps) => {
  const gh = await fake();
  const connector = await open(gh, { loadAllGroups: true }, deps);
  return underTest({
    connector,
    expected: { username: "Alice Liddell", email: "alice@example.com", groups: ["acme", "acme:Site Reliability"] },
    signIn: (url, deny) => gh.signIn(url, "alice", { deny }),
    secrets: () => [SECRET, ...gh.authority.issued],
    setGroups: (groups) => Promise.resolve(gh.setUser({ ...ALICE, orgs: [...groups], teams: [] })),
    removeUser: () => Promise.resolve(gh.removeUser("alice")),
    close: () => gh.close(),
  });
});

test("github.com: the login URL asks for user:email and read:org with state and PKCE; userID is the numeric id", async () => {
  const gh = await fake();
  const c = await open(gh, { loadAllGroups: true });
  try {
    const url = new URL((await c.loginURL(ALL, CALLBACK, "st")).url);
    assert.equal(url.origin + url.pathname, "https://github.com/login/oauth/authorize");
    assert.deepEqual([url.searchParams.get("scope"), url.searchParams.get("state"), url.searchParams.get("code_challenge_method")], ["user:email read:org", "st", "S256"]);
    const noGroups = new URL((await c.loginURL({ offlineAccess: false, groups: false }, CALLBACK, "st")).url);
    assert.equal(noGroups.searchParams.get("scope"), "user:email");
    const id = await logIn(c, (u) => gh.signIn(u, "alice"));
    assert.deepEqual([id.userID, id.preferredUsername, id.emailVerified], ["1001", "alice", true]);
    const api = gh.https.requests.filter((r) => r.path.startsWith("/user"));
    assert.ok(api.every((r) => r.host === "api.github.com" && r.headers["user-agent"] && r.headers["x-github-api-version"] === "2022-11-28"));
  } finally {
    await c.close();
    await gh.close();
  }
});

test("orgs: only members of a listed team log in; an org without teams gives the org and all its teams", async () => {
  const gh = await fake({ ...ALICE, orgs: ["acme", "initech"], teams: [...ALICE.teams, { org: "initech", name: "Printers", slug: "printers" }, { org: "acme", name: "Web", slug: "web" }] });
  const teams = await open(gh, { orgs: [{ name: "acme", teams: ["Site Reliability", "Missing"] }] });
  const whole = await open(gh, { orgs: [{ name: "initech" }, { name: "umbrella" }] });
  const elsewhere = await open(gh, { orgs: [{ name: "umbrella" }, { name: "acme", teams: ["Missing"] }] });
  const browser = (u: string) => gh.signIn(u, "alice");
  try {
    assert.deepEqual((await logIn(teams, browser)).groups, ["acme:Site Reliability"]);
    assert.deepEqual((await logIn(whole, browser)).groups, ["initech", "initech:Printers"]);
    await rejectsWith(logIn(elsewhere, browser), "connector_refused", /not in the required orgs or teams/);
    assert.deepEqual((await logIn(teams, browser, { offlineAccess: false, groups: false })).groups, []);
  } finally {
    await Promise.all([teams.close(), whole.close(), elsewhere.close()]);
    await gh.close();
  }
});

test("teamNameField slug or both, and useLoginAsID", async () => {
  const gh = await fake();
  const slug = await open(gh, { loadAllGroups: true, teamNameField: "slug", useLoginAsID: true });
  const both = await open(gh, { orgs: [{ name: "acme", teams: ["site-reliability"] }], teamNameField: "both" });
  const browser = (u: string) => gh.signIn(u, "alice");
  try {
    const id = await logIn(slug, browser);
    assert.deepEqual([id.userID, id.groups], ["alice", ["acme", "acme:site-reliability"]]);
    assert.deepEqual((await logIn(both, browser)).groups, ["acme:site-reliability"]);
  } finally {
    await Promise.all([slug.close(), both.close()]);
    await gh.close();
  }
});

test("pagination: 230 teams over three Link pages all become groups", async () => {
  const teams = Array.from({ length: 230 }, (_, i) => ({ org: "acme", name: `team-${i}`, slug: `team-${i}` }));
  const gh = await fake({ ...ALICE, teams });
  const c = await open(gh, { loadAllGroups: true });
  try {
    const id = await logIn(c, (u) => gh.signIn(u, "alice"));
    assert.equal(id.groups.length, 231);
    assert.ok(id.groups.includes("acme:team-229"));
    assert.deepEqual(gh.https.requests.filter((r) => r.path === "/user/teams").map((r) => r.query.get("page")), [null, "2", "3"]);
  } finally {
    await c.close();
    await gh.close();
  }
});

test("email: the public one, else the verified primary one, a preferred domain wins, and no verified primary email is refused", async () => {
  const gh = await fake({ ...ALICE, email: "public@example.org" });
  const plain = await open(gh);
  const preferring = await open(gh, { preferredEmailDomain: "*.example" });
  const browser = (u: string) => gh.signIn(u, "alice");
  try {
    assert.equal((await logIn(plain, browser)).email, "public@example.org");
    assert.equal((await logIn(preferring, browser)).email, "alice@old.example");
    gh.setUser({ ...ALICE, emails: [{ email: "alice@example.com", primary: true, verified: false }] });
    await rejectsWith(logIn(plain, browser), "connector_refused", /no verified primary email/);
  } finally {
    await Promise.all([plain.close(), preferring.close()]);
    await gh.close();
  }
});

test("GitHub Enterprise Server: hostName and rootCA, API under /api/v3, emails count as verified", async () => {
  const gh = await fake({ ...ALICE, emails: [{ email: "alice@corp.example", primary: true, verified: false }] });
  const host = new URL(gh.origin).host;
  const c = await openGitHubConnector("ghe", "GHE", { ...base, hostName: host, rootCA: gh.https.caPem, loadAllGroups: true }, quietDeps);
  try {
    const url = new URL((await c.loginURL(ALL, CALLBACK, "s")).url);
    assert.equal(url.origin, gh.origin);
    const id = await logIn(c, (u) => gh.signIn(u, "alice"));
    assert.deepEqual([id.email, id.groups], ["alice@corp.example", ["acme", "acme:Site Reliability"]]);
    assert.ok(gh.https.requests.some((r) => r.path === "/api/v3/user/teams"));
    assert.ok(!gh.https.requests.some((r) => r.host === "api.github.com"));
  } finally {
    await c.close();
    await gh.close();
  }
});

test("the callback: a forged state, a denied app, a replayed code or a wrong PKCE verifier are refused", async () => {
  const gh = await fake();
  const c = await open(gh);
  try {
    const { url, saved } = await c.loginURL(ALL, CALLBACK, "the-state");
    const back = await gh.signIn(url, "alice");
    await rejectsWith(c.handleCallback(ALL, CALLBACK, back, { ...saved, state: "forged" }), "connector_callback_invalid", /state/);
    await rejectsWith(c.handleCallback(ALL, CALLBACK, back, { ...saved, verifier: "x".repeat(43) }), "connector_callback_invalid", /bad_verification_code/);
    const again = await c.loginURL(ALL, CALLBACK, "s2");
    const good = await gh.signIn(again.url, "alice");
    await c.handleCallback(ALL, CALLBACK, good, again.saved);
    await rejectsWith(c.handleCallback(ALL, CALLBACK, good, again.saved), "connector_callback_invalid", /HTTP 200.*bad_verification_code/);
    const denied = await c.loginURL(ALL, CALLBACK, "s3");
    await rejectsWith(c.handleCallback(ALL, CALLBACK, await gh.signIn(denied.url, "alice", { deny: true }), denied.saved), "connector_refused", /access_denied/);
  } finally {
    await c.close();
    await gh.close();
  }
});

test("a wrong client secret is refused (GitHub answers HTTP 200 with an error); a form-encoded answer is read too", async () => {
  const gh = await fake();
  const wrong = await openGitHubConnector("g", "G", { ...base, clientSecret: "not-the-secret" }, { ...quietDeps, fetch: gh.https.fetch });
  // Without Accept: application/json, GitHub answers form-encoded.
  const formOnly: typeof fetch = (input, init) => {
    const headers = new Headers(init?.headers);
    headers.delete("accept");
    return gh.https.fetch(input, { ...init, headers: Object.fromEntries(headers.entries()) });
  };
  const form = await openGitHubConnector("g", "G", base, { ...quietDeps, fetch: formOnly });
  try {
    await rejectsWith(logIn(wrong, (u) => gh.signIn(u, "alice")), "connector_refused", /incorrect_client_credentials/);
    assert.equal((await logIn(form, (u) => gh.signIn(u, "alice"))).email, "alice@example.com");
  } finally {
    await Promise.all([wrong.close(), form.close()]);
    await gh.close();
  }
});

test("refresh: a GitHub App's expiring token is renewed with its refresh token; a revoked app is refused", async () => {
  const gh = await fake(ALICE, true);
  const c = await open(gh, { loadAllGroups: true });
  try {
    const id = await logIn(c, (u) => gh.signIn(u, "alice"));
    assert.ok((id.connectorData as { refreshToken?: string }).refreshToken?.startsWith("gho_r_"));
    gh.setUser({ ...ALICE, orgs: ["acme", "initech"] });
    const again = await c.refresh(ALL, JSON.parse(JSON.stringify(id)));
    assert.deepEqual(again.groups, ["acme", "acme:Site Reliability", "initech"]);
    assert.ok(gh.https.requests.some((r) => r.path === "/login/oauth/access_token" && r.body.includes("grant_type=refresh_token")));
    gh.authority.revokeUser("alice");
    await rejectsWith(c.refresh(ALL, again), "connector_refused", /bad_refresh_token/);
  } finally {
    await c.close();
    await gh.close();
  }
});

test("an API that fails (HTTP 502) or a spent rate limit (403, X-RateLimit-Remaining: 0) is connector_unavailable", async () => {
  const gh = await fake();
  const failing: typeof fetch = async (input, init) => (String(input).includes("/user/teams") ? new Response("bad gateway", { status: 502 }) : gh.https.fetch(input, init));
  const c = await openGitHubConnector("g", "G", { ...base, loadAllGroups: true }, { ...quietDeps, fetch: failing });
  const limited = await open(gh);
  try {
    await rejectsWith(logIn(c, (u) => gh.signIn(u, "alice")), "connector_unavailable", /HTTP 502/);
    gh.setRateLimitRemaining(0);
    await rejectsWith(logIn(limited, (u) => gh.signIn(u, "alice")), "connector_unavailable", /HTTP 403.*rate limit exceeded/);
  } finally {
    await Promise.all([c.close(), limited.close()]);
    await gh.close();
  }
});
