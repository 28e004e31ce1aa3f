/** The google connector against the Google fake over HTTPS (hosts rewritten), groups through a service account with domain-wide delegation. */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateKeyPairSync } from "node:crypto";
import { ConfigError } from "../../src/config/errors.ts";
import type { ConnectorDeps } from "../../src/issuer/connectors/connector.ts";
import { openGoogleConnector } from "../../src/issuer/connectors/google/google-connector.ts";
import type { GoogleConfig } from "../../src/issuer/connectors/google/google-config.ts";
import { connectorConformance } from "../conformance/connector.ts";
import { startFakeGoogle, type FakeGoogle, type GoogleUser } from "../tools/fakes/google.ts";
import { ALL, CALLBACK, logIn, quietDeps, rejectsWith, underTest } from "../tools/fakes/connector-flow.ts";

const SECRET = "GOCSPX-google-client-secret";
const DIRECTORY_SCOPE = "https://www.googleapis.com/auth/admin.directory.group.readonly";
const ALICE: GoogleUser = { sub: "108234567890123456789", email: "alice@example.com", name: "Alice Liddell", hd: "example.com" };
const client = { clientID: "123-abc.apps.googleusercontent.com", clientSecret: SECRET, redirectURI: CALLBACK };
const dir = await mkdtemp(join(tmpdir(), "kubeward-google-"));
after(() => rm(dir, { recursive: true, force: true }));

interface Setup { readonly g: FakeGoogle; readonly keyFile: string; readonly privateKey: string }

async function fake(pageSize = 200): Promise<Setup> {
  const g = await startFakeGoogle(client, pageSize);
  g.setUser(ALICE);
  g.setUser({ sub: "1", email: "admin@example.com", name: "Admin" });
  g.addAdmin("admin@example.com");
  g.setMemberships("alice@example.com", ["dev@example.com", "ops@example.com"]);
  const json = g.createServiceAccountKey([DIRECTORY_SCOPE]);
  return { g, keyFile: await keyFile(json), privateKey: json["private_key"] ?? "" };
}

async function keyFile(json: Record<string, string>): Promise<string> {
  const path = join(dir, `${json["client_email"] ?? "key"}-${json["private_key_id"] ?? ""}.json`);
  await writeFile(path, JSON.stringify(json));
  return path;
}

function open(s: Setup, extra: Partial<GoogleConfig> = {}, deps: ConnectorDeps = quietDeps) {
  return openGoogleConnector("google", "Google", { ...client, serviceAccountFilePath: s.keyFile, domainToAdminEmail: { "example.com": "admin@example.com" }, ...extra }, { ...deps, fetch: s.g.https.fetch });
}

const browser = (s: Setup) => (u: string) => s.g.signIn(u, ALICE.email);

connectorConformance("google (fake Google and Admin Directory)", async (deps) => {
  const s = await fake();
  const connector = await open(s, { hostedDomains: ["example.com"] }, deps);
  return underTest({
    connector,
    expected: { username: "Alice Liddell", email: "alice@example.com", groups: ["dev@example.com", "ops@example.com"] },
    signIn: (url, deny) => s.g.signIn(url, ALICE.email, { deny }),
    secrets: () => [SECRET, s.privateKey, ...s.g.authority.issued],
    setGroups: (groups) => Promise.resolve(s.g.setMemberships(ALICE.email, groups)),
    removeUser: () => Promise.resolve(s.g.removeUser(ALICE.email)),
    close: () => s.g.close(),
  });
});

test("the authorization request: openid profile email, prompt=consent, access_type=offline only for refresh, hd; no refresh token without it", async () => {
  const s = await fake();
  const c = await open(s, { hostedDomains: ["example.com"] });
  try {
    const offline = new URL((await c.loginURL(ALL, CALLBACK, "s")).url).searchParams;
    const online = new URL((await c.loginURL({ offlineAccess: false, groups: true }, CALLBACK, "s")).url).searchParams;
    assert.deepEqual([offline.get("scope"), offline.get("prompt"), offline.get("access_type"), offline.get("hd"), offline.get("code_challenge_method")],
      ["openid profile email", "consent", "offline", "example.com", "S256"]);
    assert.equal(online.get("access_type"), null);
    const id = await logIn(c, browser(s), { offlineAccess: false, groups: true });
    assert.equal(id.connectorData, undefined);
    await rejectsWith(c.refresh(ALL, id), "connector_refused", /no upstream token was kept/);
  } finally {
    await c.close();
    await s.g.close();
  }
});

test("hosted domains and verified email are enforced", async () => {
  const s = await fake();
  const c = await open(s, { hostedDomains: ["corp.example"] });
  const any = await open(s);
  try {
    await rejectsWith(logIn(c, browser(s)), "connector_refused", /hosted domain "example.com" is not allowed/);
    s.g.setUser({ ...ALICE, email_verified: false });
    await rejectsWith(logIn(any, browser(s)), "connector_refused", /not verified/);
  } finally {
    await Promise.all([c.close(), any.close()]);
    await s.g.close();
  }
});

test("groups: only members log in and only listed groups are kept; transitive membership; nextPageToken pages", async () => {
  const s = await fake(1);
  s.g.setMemberships("ops@example.com", ["sre@example.com"]);
  s.g.setMemberships("sre@example.com", ["all-eng@example.com"]);
  const listed = await open(s, { groups: ["ops@example.com", "absent@example.com"] });
  const transitive = await open(s, { fetchTransitiveGroupMembership: true });
  const outsider = await open(s, { groups: ["finance@example.com"] });
  try {
    assert.deepEqual((await logIn(listed, browser(s))).groups, ["ops@example.com"]);
    assert.deepEqual((await logIn(transitive, browser(s))).groups, ["dev@example.com", "ops@example.com", "sre@example.com", "all-eng@example.com"]);
    await rejectsWith(logIn(outsider, browser(s), { offlineAccess: false, groups: false }), "connector_refused", /none of the allowed groups/);
    const pages = s.g.https.requests.filter((r) => r.path === "/admin/directory/v1/groups" && r.query.get("userKey") === ALICE.email).map((r) => r.query.get("pageToken"));
    assert.deepEqual(pages.slice(0, 2), [null, "1"]);
  } finally {
    await Promise.all([listed.close(), transitive.close(), outsider.close()]);
    await s.g.close();
  }
});

test("the service account: one signed assertion per admin (token cached); a forged key, an undelegated scope, a non-admin or an unmapped domain are refused", async () => {
  const s = await fake();
  const good = await open(s);
  // The service account's real id, signed with a key Google never issued for it.
  const otherKey = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  const forgedFile = await keyFile({ ...s.g.createServiceAccountKey([DIRECTORY_SCOPE]), private_key: otherKey });
  const forged = await open(s, { serviceAccountFilePath: forgedFile });
  const undelegatedFile = await keyFile(s.g.createServiceAccountKey(["https://www.googleapis.com/auth/admin.directory.user.readonly"]));
  const undelegated = await open(s, { serviceAccountFilePath: undelegatedFile });
  const notAdmin = await open(s, { domainToAdminEmail: { "*": "alice@example.com" } });
  const unmapped = await open(s, { domainToAdminEmail: { "other.example": "admin@other.example" } });
  try {
    await logIn(good, browser(s));
    await logIn(good, browser(s));
    assert.equal(s.g.https.requests.filter((r) => r.body.includes("jwt-bearer")).length, 1, "the admin token is reused");
    await rejectsWith(logIn(forged, browser(s)), "connector_refused", /Invalid JWT Signature/);
    await rejectsWith(logIn(undelegated, browser(s)), "connector_refused", /unauthorized_client/);
    await rejectsWith(logIn(notAdmin, browser(s)), "connector_refused", /HTTP 403.*Not Authorized/);
    await rejectsWith(logIn(unmapped, browser(s)), "connector_refused", /names no admin for example.com/);
  } finally {
    await Promise.all([good.close(), undelegated.close(), notAdmin.close(), unmapped.close(), forged.close()]);
    await s.g.close();
  }
});

test("config: groups need the service account; a file that is not a service account key is named", async () => {
  const notAKey = join(dir, "not-a-key.json");
  await writeFile(notAKey, JSON.stringify({ type: "authorized_user" }));
  const problems = async (config: GoogleConfig) => openGoogleConnector("g", "G", config, quietDeps).then(() => [], (e: unknown) => (e as ConfigError).problems.map((p) => `${p.path}: ${p.message}`));
  assert.deepEqual(await problems({ ...client, groups: ["a@example.com"] }), ["groups: needs serviceAccountFilePath and domainToAdminEmail (groups are read from the Admin Directory API)"]);
  assert.deepEqual(await problems({ ...client, serviceAccountFilePath: notAKey, domainToAdminEmail: { "*": "admin@example.com" } }),
    ["serviceAccountFilePath: is not a service account key (type, client_email, private_key and private_key_id are required)"]);
  const [pair, unreadable] = await problems({ ...client, serviceAccountFilePath: join(dir, "absent.json") });
  assert.match(pair ?? "", /^domainToAdminEmail: serviceAccountFilePath and domainToAdminEmail go together/);
  assert.match(unreadable ?? "", /^serviceAccountFilePath: cannot read a JSON key from ".*absent.json": ENOENT/);
  await (await openGoogleConnector("g", "G", client, quietDeps)).close();
  await assert.rejects(openGoogleConnector("g", "G", { ...client, fetchTransitiveGroupMembership: true }, quietDeps), ConfigError);
});
