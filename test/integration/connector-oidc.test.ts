/** The oidc connector against a real upstream (npm oidc-provider over HTTPS on 127.0.0.1), driven without a browser. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { createLogger } from "../../src/log/logger.ts";
import { ConfigError } from "../../src/config/errors.ts";
import { isKubewardError, type ErrorCode } from "../../src/errors.ts";
import type { ConnectorDeps, Identity, Scopes } from "../../src/issuer/connectors/connector.ts";
import { openOidcConnector } from "../../src/issuer/connectors/oidc/oidc-connector.ts";
import type { OidcConfig } from "../../src/issuer/connectors/oidc/oidc-config.ts";
import { openConnector } from "../../src/issuer/connectors/registry.ts";
import { startUpstreamProvider, type UpstreamAccount, type UpstreamProvider } from "../tools/upstream-oidc-provider.ts";
import { connectorConformance } from "../conformance/connector.ts";

const CALLBACK = "https://kubeward.test/callback";
const SECRET = "kubeward-upstream-client-secret";
const ALICE: UpstreamAccount = { sub: "alice-sub", password: "alice-upstream-pw", name: "Alice Liddell", preferred_username: "alice", email: "alice@example.com", groups: ["dev", "ops"] };
const ALL: Scopes = { offlineAccess: true, groups: true };
const quietDeps: ConnectorDeps = { clock: { now: () => Date.now() }, logger: createLogger({ level: "silent" }), fetch: globalThis.fetch };

function startUpstream(accounts: readonly UpstreamAccount[] = [ALICE]): Promise<UpstreamProvider> {
  return startUpstreamProvider({
    clients: [{ client_id: "kubeward", client_secret: SECRET, redirect_uris: [CALLBACK], grant_types: ["authorization_code", "refresh_token"] }],
    accounts,
  });
}

function configFor(up: UpstreamProvider, extra: Partial<OidcConfig> = {}): OidcConfig {
  return { issuer: up.issuer, clientID: "kubeward", clientSecret: SECRET, rootCAs: [up.caPem], scopes: ["profile", "email", "groups"], insecureEnableGroups: true, ...extra };
}

type Oidc = Awaited<ReturnType<typeof openOidcConnector>>;

/** The whole flow: kubeward's redirect, the user at the upstream, the callback. */
async function logIn(c: Oidc, up: UpstreamProvider, scopes: Scopes, who = { login: ALICE.sub, password: ALICE.password }): Promise<Identity> {
  const { url, saved } = await c.loginURL(scopes, CALLBACK, randomUUID());
  return c.handleCallback(scopes, CALLBACK, await up.signIn(url, who), saved);
}

const rejectsWith = (p: Promise<unknown>, code: ErrorCode) => assert.rejects(p, (e) => isKubewardError(e, code) || assert.fail(`expected ${code}, got ${String((e as { code?: string }).code)}: ${String(e)}`));

connectorConformance("oidc (oidc-provider upstream)", async (deps) => {
  const up = await startUpstream();
  const connector = await openOidcConnector("upstream", "Upstream", configFor(up), deps);
  const secrets = [SECRET, ALICE.password];
  let down = false;
  const flow = async (scopes: Scopes, abort: boolean) => {
    const { url, saved } = await connector.loginURL(scopes, CALLBACK, randomUUID());
    secrets.push(saved["verifier"] ?? "");
    // With the upstream down, the browser comes back with a code the connector can no longer redeem.
    const back = down ? new URL(`${CALLBACK}?code=stale-code&state=${saved["state"]}&iss=${encodeURIComponent(up.issuer)}`)
      : await up.signIn(url, { login: ALICE.sub, password: ALICE.password, abort });
    secrets.push(back.searchParams.get("code") ?? "");
    const id = await connector.handleCallback(scopes, CALLBACK, back, saved);
    secrets.push((id.connectorData as { refreshToken?: string } | undefined)?.refreshToken ?? "");
    return id;
  };
  return {
    connector,
    expected: { username: "Alice Liddell", email: "alice@example.com", groups: ["dev", "ops"] },
    login: (s) => flow(s, false),
    loginWrong: async (s) => {
      const { url } = await connector.loginURL(s, CALLBACK, randomUUID());
      await assert.rejects(up.signIn(url, { login: ALICE.sub, password: "not-her-password" }), /refused the login/);
      return flow(s, true);
    },
    setGroups: (groups) => Promise.resolve(up.setAccount({ ...ALICE, groups: [...groups] })),
    removeUser: () => Promise.resolve(up.removeAccount(ALICE.sub)),
    takeDown: async () => { down = true; await up.close(); },
    secrets: () => secrets.filter((s) => s.length > 0),
    close: () => (down ? Promise.resolve() : up.close()),
  };
});

test("allowedGroups: only members log in, and a refresh after leaving the group is refused", async () => {
  const up = await startUpstream();
  const c = await openOidcConnector("u", "U", configFor(up, { allowedGroups: ["ops"] }), quietDeps);
  try {
    const id = await logIn(c, up, ALL);
    up.setAccount({ ...ALICE, groups: ["dev"] });
    await rejectsWith(c.refresh(ALL, id), "connector_refused");
    await rejectsWith(logIn(c, up, ALL), "connector_refused");
  } finally {
    await c.close();
    await up.close();
  }
});

test("keepGroups passes on only the listed upstream groups", async () => {
  const up = await startUpstream();
  const c = await openOidcConnector("u", "U", configFor(up, { keepGroups: ["ops", "absent"] }), quietDeps);
  try {
    assert.deepEqual((await logIn(c, up, ALL)).groups, ["ops"]);
  } finally {
    await c.close();
    await up.close();
  }
});

test("an unverified email is refused unless insecureSkipEmailVerified", async () => {
  const up = await startUpstream([{ ...ALICE, email_verified: false }]);
  const strict = await openOidcConnector("u", "U", configFor(up), quietDeps);
  const lax = await openOidcConnector("u", "U", configFor(up, { insecureSkipEmailVerified: true }), quietDeps);
  try {
    await rejectsWith(logIn(strict, up, ALL), "connector_refused");
    const id = await logIn(lax, up, ALL);
    assert.deepEqual([id.email, id.emailVerified], ["alice@example.com", false]);
  } finally {
    await Promise.all([strict.close(), lax.close(), up.close()]);
  }
});

test("a callback with the wrong state or nonce, or a replayed code, is refused", async () => {
  const up = await startUpstream();
  const c = await openOidcConnector("u", "U", configFor(up), quietDeps);
  try {
    for (const tamper of ["state", "nonce"]) {
      const { url, saved } = await c.loginURL(ALL, CALLBACK, "the-state");
      const back = await up.signIn(url, { login: ALICE.sub, password: ALICE.password });
      await rejectsWith(c.handleCallback(ALL, CALLBACK, back, { ...saved, [tamper]: "forged" }), "connector_callback_invalid");
    }
    const { url, saved } = await c.loginURL(ALL, CALLBACK, "the-state");
    const back = await up.signIn(url, { login: ALICE.sub, password: ALICE.password });
    await c.handleCallback(ALL, CALLBACK, back, saved);
    await rejectsWith(c.handleCallback(ALL, CALLBACK, back, saved), "connector_callback_invalid");
  } finally {
    await c.close();
    await up.close();
  }
});

test("the authorization request uses PKCE S256, a nonce, prompt=consent and offline_access only when asked", async () => {
  const up = await startUpstream();
  const c = await openOidcConnector("u", "U", configFor(up), quietDeps);
  try {
    const online = new URL((await c.loginURL({ offlineAccess: false, groups: true }, CALLBACK, "s")).url);
    const offline = new URL((await c.loginURL(ALL, CALLBACK, "s")).url);
    assert.equal(online.searchParams.get("code_challenge_method"), "S256");
    assert.ok(online.searchParams.get("nonce"));
    assert.equal(online.searchParams.get("prompt"), "consent");
    assert.equal(online.searchParams.get("scope"), "openid profile email groups");
    assert.equal(offline.searchParams.get("scope"), "openid profile email groups offline_access");
    const id = await logIn(c, up, { offlineAccess: false, groups: true });
    assert.equal(id.connectorData, undefined);
    await rejectsWith(c.refresh(ALL, id), "connector_refused");
  } finally {
    await c.close();
    await up.close();
  }
});

test("getUserInfo reads the userinfo endpoint too; userIDKey and userNameKey pick the claims; a refresh naming another user is refused", async () => {
  const up = await startUpstream();
  const c = await openOidcConnector("u", "U", configFor(up, { getUserInfo: true, userIDKey: "email", userNameKey: "preferred_username" }), quietDeps);
  try {
    const id = await logIn(c, up, ALL);
    assert.deepEqual([id.userID, id.username, id.groups], ["alice@example.com", "alice", ["dev", "ops"]]);
    up.setAccount({ ...ALICE, email: "someone-else@example.com" });
    await rejectsWith(c.refresh(ALL, id), "connector_refused");
  } finally {
    await c.close();
    await up.close();
  }
});

test("a refresh answered without an ID token reads the current claims from userinfo", async () => {
  const up = await startUpstream();
  // The upstream's token endpoint, minus the ID token on refresh (as OIDC Core §12.2 allows).
  const noIdTokenOnRefresh: typeof globalThis.fetch = async (input, init) => {
    const res = await up.fetch(input, init);
    if (!String(init?.body ?? "").includes("grant_type=refresh_token")) return res;
    const { id_token: _, ...body } = (await res.json()) as Record<string, unknown>;
    return Response.json(body, { status: res.status });
  };
  const { rootCAs: _, ...viaDepsFetch } = configFor(up);
  const c = await openOidcConnector("u", "U", viaDepsFetch, { ...quietDeps, fetch: noIdTokenOnRefresh });
  try {
    const id = await logIn(c, up, ALL);
    up.setAccount({ ...ALICE, groups: ["auditors"] });
    const refreshed = await c.refresh(ALL, id);
    assert.deepEqual([refreshed.userID, refreshed.groups], [id.userID, ["auditors"]]);
  } finally {
    await c.close();
    await up.close();
  }
});

test("ID token times are checked against the connector's clock", async () => {
  const up = await startUpstream();
  const twoHoursAhead = { ...quietDeps, clock: { now: () => Date.now() + 2 * 3600_000 } };
  const late = await openOidcConnector("u", "U", configFor(up), twoHoursAhead);
  try {
    await rejectsWith(logIn(late, up, ALL), "connector_callback_invalid");
  } finally {
    await late.close();
    await up.close();
  }
});

test("an upstream that is down at startup: the connector opens, and a login says the provider is unreachable", async () => {
  const up = await startUpstream();
  const config = configFor(up);
  await up.close();
  const c = await openOidcConnector("u", "U", config, quietDeps);
  try {
    await rejectsWith(c.loginURL(ALL, CALLBACK, "s"), "connector_unavailable");
  } finally {
    await c.close();
  }
});

test("config problems name the field in the user's file", async () => {
  const lines = async (config: unknown) => {
    const e = await openConnector({ type: "oidc", id: "okta", name: "Okta", config }, quietDeps, { path: "connectors[1]" }).then(() => undefined, (err: unknown) => err);
    assert.ok(e instanceof ConfigError, String(e));
    return e.lines().sort();
  };
  assert.deepEqual(await lines({ issuer: "http://okta.example", clientID: "k", clientSecret: "s", claimMapping: { group: "x" } }), [
    "kubeward: connectors[1].config.claimMapping.group: unknown field",
    'kubeward: connectors[1].config.issuer: must be an https URL without query or fragment (got "http://okta.example")',
  ]);
  assert.deepEqual(await lines({ issuer: "https://okta.example", clientSecret: "s", allowedGroups: ["a"], rootCAs: ["/nonexistent/ca.pem"] }), [
    "kubeward: connectors[1].config.clientID: required",
  ]);
  assert.deepEqual(await lines({ issuer: "https://okta.example", clientID: "k", clientSecret: "s", allowedGroups: ["a"], rootCAs: ["/nonexistent/ca.pem"] }), [
    "kubeward: connectors[1].config.allowedGroups: needs insecureEnableGroups: true (groups are only read from the upstream when enabled)",
    'kubeward: connectors[1].config.rootCAs[0]: cannot read "/nonexistent/ca.pem": ENOENT',
  ]);
});
