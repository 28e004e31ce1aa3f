/**
 * The storage conformance suite, after Dex's storage/conformance: every
 * backend's test calls {@link storageConformance}, so all pass the same checks.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isDeepStrictEqual } from "node:util";
import type { Clock } from "../../src/clock.ts";
import { isKubewardError } from "../../src/errors.ts";
import type {
  Client,
  PasswordEntry,
  ProtocolObject,
  RefreshFamily,
  Revocation,
  SigningKey,
} from "../../src/issuer/storage/entities.ts";
import type { Storage, StorageDeps, Updater } from "../../src/issuer/storage/storage.ts";

/** Opens a fresh, empty backend on the given clock; the suite closes it. */
export type StorageFactory = (deps: StorageDeps) => Promise<Storage>;

/** A clock the test moves by hand. */
interface FrozenClock extends Clock {
  t: number;
}

const T0 = Date.UTC(2026, 0, 1);
const DAY = 86_400_000;

type Body = (s: Storage, clock: FrozenClock) => Promise<void>;
/** One test: its title and body, as in Dex's `subTest`. */
type Case = readonly [title: string, body: Body];

/** Changes every string, number, boolean and array inside `value`, in place. */
function scribble(value: unknown): void {
  if (Array.isArray(value)) {
    value.forEach(scribble);
    value.push("scribbled");
  } else if (typeof value === "object" && value !== null) {
    const record = value as Record<string, unknown>;
    for (const [k, v] of Object.entries(record)) {
      if (typeof v === "object" && v !== null) scribble(v);
      else if (typeof v === "string") record[k] = `${v}!`;
      else if (typeof v === "number") record[k] = v + 1;
      else if (typeof v === "boolean") record[k] = !v;
    }
  }
}

const PAYLOAD = {
  accountId: "alice",
  grantId: "g1",
  scope: "openid groups offline_access",
  claims: { id_token: { email: { essential: true } }, groups: ["dev", "ops"] },
  ratio: 1.5,
  flag: false,
  nothing: null,
  text: "ünïcødé ✓ \u0000 '\" \\",
};

function object(model: ProtocolObject["model"], id: string, extra: Partial<ProtocolObject> = {}): ProtocolObject {
  return { model, id, payload: structuredClone(PAYLOAD), expiresAt: T0 + 60_000, ...extra };
}

const isConflict = (e: unknown): boolean => isKubewardError(e, "storage_conflict");

/** What the entity tests need to know about one kind of record. */
interface EntityCase<T> {
  /** Three records with distinct ids, not in id order; the last has no optional fields. */
  samples: readonly [T, T, T];
  idOf(value: T): string;
  /** A different record with the same id. */
  change(value: T): T;
  create(s: Storage, value: T): Promise<void>;
  get(s: Storage, id: string): Promise<T | undefined>;
  list(s: Storage): Promise<T[]>;
  delete(s: Storage, id: string): Promise<boolean>;
}

type Update<T> = (s: Storage, id: string, update: Updater<T>) => Promise<T | undefined>;
type Updatable<T> = EntityCase<T> & { update: Update<T> };

const CLIENTS: Updatable<Client> = {
  samples: [
    { id: "web", secretHash: "$2b$10$Ke", redirectURIs: ["https://app/cb"], public: false, name: "Web", trustedPeers: ["kubectl"] },
    { id: "dash", secretHash: "$2b$10$Zq", redirectURIs: ["https://d/cb", "https://d/cb2"], public: false, name: "Dash", trustedPeers: [] },
    { id: "kubectl", redirectURIs: ["http://localhost:8000"], public: true, name: "kubectl", trustedPeers: [] },
  ],
  idOf: (c) => c.id,
  change: (c) => ({ ...c, name: `${c.name} renamed`, redirectURIs: [...c.redirectURIs, "https://new/cb"] }),
  create: (s, v) => s.createClient(v),
  get: (s, id) => s.getClient(id),
  list: (s) => s.listClients(),
  delete: (s, id) => s.deleteClient(id),
  update: (s, id, u) => s.updateClient(id, u),
};

const PASSWORDS: Updatable<PasswordEntry> = {
  samples: [
    { email: "carol@example.com", hash: "$2b$10$c", username: "carol", userID: "u3", groups: ["ops"] },
    { email: "alice@example.com", hash: "$2b$10$a", username: "alice", userID: "u1", groups: ["dev", "ops"] },
    { email: "bob@example.com", hash: "$2b$10$b", username: "bob", userID: "u2", groups: [] },
  ],
  idOf: (p) => p.email,
  change: (p) => ({ ...p, hash: `${p.hash}new`, groups: [...p.groups, "admins"] }),
  create: (s, v) => s.createPassword(v),
  get: (s, id) => s.getPassword(id),
  list: (s) => s.listPasswords(),
  delete: (s, id) => s.deletePassword(id),
  update: (s, id, u) => s.updatePassword(id, u),
};

const jwk = { kty: "EC", crv: "P-256", x: "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", y: "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0", d: "jpsQnnGQmL-YBIffH1136cLSh6OBTi9HKwWq7dK6vl0" };
const SIGNING_KEYS: Updatable<SigningKey> = {
  samples: [
    { kid: "k2", alg: "ES256", privateJwk: jwk, state: "active", createdAt: T0, retireAfter: T0 + DAY, notAfter: T0 + 2 * DAY },
    { kid: "k1", alg: "RS256", privateJwk: { ...jwk, kid: "k1" }, state: "retired", createdAt: T0 - DAY, retireAfter: T0, notAfter: T0 + DAY },
    { kid: "k3", alg: "ES256", privateJwk: jwk, state: "next", createdAt: T0, retireAfter: T0 + 2 * DAY, notAfter: T0 + 3 * DAY },
  ],
  idOf: (k) => k.kid,
  change: (k) => ({ ...k, state: k.state === "active" ? "retired" : "active", retireAfter: k.retireAfter + 1 }),
  create: (s, v) => s.createSigningKey(v),
  get: (s, id) => s.getSigningKey(id),
  list: (s) => s.listSigningKeys(),
  delete: (s, id) => s.deleteSigningKey(id),
  update: (s, id, u) => s.updateSigningKey(id, u),
};

const family = (id: string, subject: string): RefreshFamily => ({
  id, subject, connectorId: "ldap", connectorData: '{"dn":"uid=x"}', createdAt: T0, lastUsedAt: T0, revoked: false, expiresAt: T0 + 30 * DAY,
});
const FAMILIES: Updatable<RefreshFamily> = {
  samples: [family("f2", "alice"), family("f1", "bob"), { id: "f3", subject: "alice", connectorId: "local", createdAt: T0, lastUsedAt: T0, revoked: true }],
  idOf: (f) => f.id,
  change: (f) => ({ ...f, lastUsedAt: f.lastUsedAt + 1000, revoked: !f.revoked }),
  create: (s, v) => s.createRefreshFamily(v),
  get: (s, id) => s.getRefreshFamily(id),
  list: (s) => s.listRefreshFamilies(),
  delete: (s, id) => s.deleteRefreshFamily(id),
  update: (s, id, u) => s.updateRefreshFamily(id, u),
};

const REVOCATIONS: EntityCase<Revocation> = {
  samples: [
    { id: "r2", kind: "user", subject: "alice", reason: "left", actor: "admin", createdAt: T0, until: T0 + DAY },
    { id: "r1", kind: "group", subject: "contractors", reason: "audit", actor: "sec", createdAt: T0 },
    { id: "r3", kind: "all", reason: "key leak", actor: "admin", createdAt: T0 },
  ],
  idOf: (r) => r.id,
  change: (r) => ({ ...r, reason: `${r.reason} again` }),
  create: (s, v) => s.createRevocation(v),
  get: (s, id) => s.getRevocation(id),
  list: (s) => s.listRevocations(),
  delete: (s, id) => s.deleteRevocation(id),
};

/**
 * Registers the conformance tests for one backend. Each test opens a fresh
 * backend with a clock frozen at 2026-01-01 and closes it afterwards.
 *
 * @example
 * storageConformance("memory", (deps) => openMemoryStorage({}, deps));
 */
export function storageConformance(name: string, open: StorageFactory): void {
  const groups: Record<string, readonly Case[]> = {
    "protocol objects": PROTOCOL_TESTS,
    clients: [...entityTests(CLIENTS), ...updateTests(CLIENTS, CLIENTS.update)],
    passwords: [...entityTests(PASSWORDS), ...updateTests(PASSWORDS, PASSWORDS.update), PASSWORD_CASE_TEST],
    "signing keys": [...entityTests(SIGNING_KEYS), ...updateTests(SIGNING_KEYS, SIGNING_KEYS.update)],
    "refresh families": [...entityTests(FAMILIES), ...updateTests(FAMILIES, FAMILIES.update), FAMILY_FILTER_TEST],
    revocations: entityTests(REVOCATIONS),
    "garbage collection": [["gc deletes what expired by `now`, counts it, and keeps the rest", testGc]],
    "revocation stamp": STAMP_TESTS,
  };
  describe(`storage conformance: ${name}`, () => {
    for (const [group, cases] of Object.entries(groups)) {
      describe(group, () => {
        for (const [title, body] of cases) test(title, () => run(open, body));
      });
    }
  });
}

async function run(open: StorageFactory, body: Body): Promise<void> {
  const clock: FrozenClock = { t: T0, now: () => clock.t };
  const s = await open({ clock });
  try {
    await body(s, clock);
  } finally {
    await s.close();
  }
}

async function testRoundTrip(s: Storage): Promise<void> {
  const code = object("AuthorizationCode", "c1");
  const forever: ProtocolObject = { model: "Grant", id: "g1", payload: { accountId: "alice" } };
  await s.upsertObject(code);
  await s.upsertObject(forever);
  assert.deepEqual(await s.findObject("AuthorizationCode", "c1"), code);
  assert.deepEqual(await s.findObject("Grant", "g1"), forever);
  assert.equal(await s.findObject("AccessToken", "c1"), undefined);
  assert.equal(await s.findObject("AuthorizationCode", "c2"), undefined);
}

async function testReplace(s: Storage, clock: FrozenClock): Promise<void> {
  await s.upsertObject(object("Session", "s1", { payload: { uid: "u1" } }));
  assert.equal(await s.consumeObject("Session", "s1"), true);
  const next = object("Session", "s1", { payload: { uid: "u2", accountId: "bob" }, expiresAt: T0 + DAY });
  await s.upsertObject(next);
  assert.deepEqual(await s.findObject("Session", "s1"), next);
  assert.equal(await s.findObjectByUid("Session", "u1"), undefined);
  clock.t = T0 + DAY - 1;
  assert.deepEqual(await s.findObjectByUid("Session", "u2"), next);
}

async function testExpiry(s: Storage, clock: FrozenClock): Promise<void> {
  const expiresAt = T0 + 1000;
  await s.upsertObject(object("Session", "s1", { payload: { uid: "u1" }, expiresAt }));
  await s.upsertObject(object("DeviceCode", "d1", { payload: { userCode: "ABCD-EFGH" }, expiresAt }));
  clock.t = expiresAt - 1;
  assert.ok(await s.findObject("Session", "s1"));
  assert.ok(await s.findObjectByUid("Session", "u1"));
  assert.ok(await s.findObjectByUserCode("DeviceCode", "ABCD-EFGH"));
  clock.t = expiresAt;
  assert.equal(await s.findObject("Session", "s1"), undefined);
  assert.equal(await s.findObjectByUid("Session", "u1"), undefined);
  assert.equal(await s.findObjectByUserCode("DeviceCode", "ABCD-EFGH"), undefined);
  assert.equal(await s.consumeObject("DeviceCode", "d1"), false);
}

async function testSecondaryLookups(s: Storage): Promise<void> {
  const session = object("Session", "s1", { payload: { uid: "u1" } });
  const device = object("DeviceCode", "d1", { payload: { userCode: "WXYZ-1234", uid: "u9" } });
  await s.upsertObject(session);
  await s.upsertObject(object("Interaction", "i1", { payload: { uid: "u1" } }));
  await s.upsertObject(device);
  assert.deepEqual(await s.findObjectByUid("Session", "u1"), session);
  assert.deepEqual(await s.findObjectByUserCode("DeviceCode", "WXYZ-1234"), device);
  assert.equal(await s.findObjectByUid("Session", "u9"), undefined);
  assert.equal(await s.findObjectByUserCode("Session", "WXYZ-1234"), undefined);
  assert.equal(await s.findObjectByUserCode("DeviceCode", "wxyz-1234"), undefined);
}

async function testNewestWins(s: Storage, clock: FrozenClock): Promise<void> {
  const session = (id: string, expiresAt: number) => object("Session", id, { payload: { uid: "u" }, expiresAt });
  await s.upsertObject(session("s1", T0 + 2000));
  await s.upsertObject(session("s2", T0 + 1000));
  assert.equal((await s.findObjectByUid("Session", "u"))?.id, "s2");
  await s.upsertObject(session("s1", T0 + 2000));
  assert.equal((await s.findObjectByUid("Session", "u"))?.id, "s1");
  await s.destroyObject("Session", "s1");
  assert.equal((await s.findObjectByUid("Session", "u"))?.id, "s2");
  clock.t = T0 + 1000;
  await s.upsertObject(object("DeviceCode", "d1", { payload: { userCode: "C" } }));
  await s.upsertObject(object("DeviceCode", "d2", { payload: { userCode: "C" }, expiresAt: T0 }));
  assert.equal((await s.findObjectByUserCode("DeviceCode", "C"))?.id, "d1", "an expired newer object does not hide a live one");
}

async function testConsume(s: Storage, clock: FrozenClock): Promise<void> {
  const token = object("RefreshToken", "rt1");
  await s.upsertObject(token);
  clock.t = T0 + 500;
  assert.equal(await s.consumeObject("RefreshToken", "rt1"), true);
  clock.t = T0 + 900;
  assert.equal(await s.consumeObject("RefreshToken", "rt1"), false);
  assert.deepEqual(await s.findObject("RefreshToken", "rt1"), { ...token, consumedAt: T0 + 500 });
  assert.equal(await s.consumeObject("RefreshToken", "missing"), false);
}

async function testRacingConsumes(s: Storage): Promise<void> {
  await s.upsertObject(object("RefreshToken", "rt1"));
  const results = await Promise.all([s.consumeObject("RefreshToken", "rt1"), s.consumeObject("RefreshToken", "rt1")]);
  assert.deepEqual(results.sort(), [false, true]);
}

async function testDestroy(s: Storage): Promise<void> {
  await s.upsertObject(object("Session", "s1", { payload: { uid: "u1" } }));
  assert.equal(await s.destroyObject("Session", "s1"), true);
  assert.equal(await s.findObject("Session", "s1"), undefined);
  assert.equal(await s.findObjectByUid("Session", "u1"), undefined);
  assert.equal(await s.destroyObject("Session", "s1"), false);
}

async function testRevokeByGrantId(s: Storage): Promise<void> {
  const tokens = [["RefreshToken", "r1", "g1"], ["RefreshToken", "r2", "g1"], ["RefreshToken", "r3", "g2"], ["AccessToken", "a1", "g1"]] as const;
  for (const [model, id, grantId] of tokens) await s.upsertObject(object(model, id, { payload: { grantId } }));
  assert.equal(await s.revokeByGrantId("RefreshToken", "g1"), 2);
  assert.equal(await s.findObject("RefreshToken", "r1"), undefined);
  assert.equal(await s.findObject("RefreshToken", "r2"), undefined);
  assert.ok(await s.findObject("RefreshToken", "r3"));
  assert.ok(await s.findObject("AccessToken", "a1"));
  assert.equal(await s.revokeByGrantId("RefreshToken", "g1"), 0);
}

async function testObjectCopies(s: Storage): Promise<void> {
  const input = object("AccessToken", "a1");
  const expected = structuredClone(input);
  await s.upsertObject(input);
  scribble(input);
  const found = await s.findObject("AccessToken", "a1");
  assert.deepEqual(found, expected);
  scribble(found);
  assert.deepEqual(await s.findObject("AccessToken", "a1"), expected);
}

const PROTOCOL_TESTS: readonly Case[] = [
  ["an object comes back equal, only under its own model and id", testRoundTrip],
  ["upsert replaces payload, expiry and consumption, and the uid it is found by", testReplace],
  ["an object is gone from its expiry on, by every lookup", testExpiry],
  ["findByUid and findByUserCode look within the model only", testSecondaryLookups],
  ["of several objects sharing a uid or userCode, the newest live one is found", testNewestWins],
  ["consume wins once, stamps the clock's time and keeps the object", testConsume],
  ["of two racing consumes exactly one wins", testRacingConsumes],
  ["destroy deletes the object and what it was found by", testDestroy],
  ["revokeByGrantId deletes that model's objects of that grant only", testRevokeByGrantId],
  ["objects go in and come out as copies", testObjectCopies],
];

function entityTests<T>(c: EntityCase<T>): Case[] {
  const [first, second] = c.samples;
  const byId = (a: T, b: T) => (c.idOf(a) < c.idOf(b) ? -1 : 1);
  return [
    ["records come back equal from get and from list, in id order", async (s) => {
      for (const v of c.samples) await c.create(s, v);
      for (const v of c.samples) assert.deepEqual(await c.get(s, c.idOf(v)), v);
      assert.deepEqual(await c.list(s), [...c.samples].sort(byId));
      assert.equal(await c.get(s, "absent"), undefined);
    }],
    ["creating an existing id fails with storage_conflict and keeps the first", async (s) => {
      await c.create(s, first);
      await assert.rejects(c.create(s, c.change(first)), isConflict);
      assert.deepEqual(await c.get(s, c.idOf(first)), first);
    }],
    ["delete removes the record and says whether there was one", async (s) => {
      await c.create(s, first);
      await c.create(s, second);
      assert.equal(await c.delete(s, c.idOf(first)), true);
      assert.equal(await c.get(s, c.idOf(first)), undefined);
      assert.equal(await c.delete(s, c.idOf(first)), false);
      assert.deepEqual(await c.list(s), [second]);
    }],
    ["records go in and come out as copies", async (s) => {
      const input = structuredClone(first);
      await c.create(s, input);
      scribble(input);
      scribble(await c.get(s, c.idOf(first)));
      scribble(await c.list(s));
      assert.deepEqual(await c.get(s, c.idOf(first)), first);
    }],
  ];
}

function updateTests<T>(c: EntityCase<T>, update: Update<T>): Case[] {
  const [first, second] = c.samples;
  const id = c.idOf(first);
  const ifUnchanged = (current: T) => {
    if (!isDeepStrictEqual(current, first)) throw new Error("stale");
    return c.change(current);
  };
  return [
    ["update stores and returns the new record; a missing id gives undefined", async (s) => {
      await c.create(s, first);
      assert.deepEqual(await update(s, id, c.change), c.change(first));
      assert.deepEqual(await c.get(s, id), c.change(first));
      assert.equal(await update(s, "absent", c.change), undefined);
    }],
    ["an update that throws or changes the id changes nothing", async (s) => {
      await c.create(s, first);
      await assert.rejects(update(s, id, () => { throw new Error("refused"); }), /refused/);
      await assert.rejects(update(s, id, () => second), TypeError);
      assert.deepEqual(await c.list(s), [first]);
    }],
    ["of two racing conditional updates only one wins", async (s) => {
      await c.create(s, first);
      const results = await Promise.allSettled([update(s, id, ifUnchanged), update(s, id, ifUnchanged)]);
      assert.deepEqual(results.map((r) => r.status).sort(), ["fulfilled", "rejected"]);
      assert.deepEqual(await c.get(s, id), c.change(first));
    }],
  ];
}

const PASSWORD_CASE_TEST: Case = ["emails are matched in any case, for lookups and conflicts", async (s) => {
  const [carol] = PASSWORDS.samples;
  await s.createPassword({ ...carol, email: "Carol@Example.COM" });
  assert.equal((await s.getPassword("carol@example.com"))?.email, "Carol@Example.COM");
  await assert.rejects(s.createPassword(carol), isConflict);
  assert.equal((await s.updatePassword("CAROL@example.com", PASSWORDS.change))?.hash, `${carol.hash}new`);
  assert.equal(await s.deletePassword("carol@EXAMPLE.com"), true);
}];

const FAMILY_FILTER_TEST: Case = ["families can be listed for one subject", async (s) => {
  for (const f of FAMILIES.samples) await s.createRefreshFamily(f);
  assert.deepEqual((await s.listRefreshFamilies({ subject: "alice" })).map((f) => f.id), ["f2", "f3"]);
  assert.deepEqual(await s.listRefreshFamilies({ subject: "nobody" }), []);
}];

async function testGc(s: Storage): Promise<void> {
  const soon = T0 + 1000;
  await s.upsertObject(object("AccessToken", "old", { expiresAt: soon }));
  await s.upsertObject(object("AccessToken", "new", { expiresAt: soon + 1 }));
  await s.createRefreshFamily({ ...family("old", "alice"), expiresAt: soon });
  await s.createRefreshFamily(FAMILIES.samples[2]);
  await s.createSigningKey({ ...SIGNING_KEYS.samples[0], kid: "old", notAfter: soon });
  await s.createSigningKey(SIGNING_KEYS.samples[2]);
  await s.createRevocation({ ...REVOCATIONS.samples[0], id: "old", until: soon });
  await s.createRevocation(REVOCATIONS.samples[2]);
  await s.createClient(CLIENTS.samples[0]);
  await s.createPassword(PASSWORDS.samples[0]);
  assert.deepEqual(await s.gc(soon), { protocolObjects: 1, refreshFamilies: 1, signingKeys: 1, revocations: 1 });
  assert.deepEqual(await s.gc(soon), { protocolObjects: 0, refreshFamilies: 0, signingKeys: 0, revocations: 0 });
  assert.equal(await s.findObject("AccessToken", "old"), undefined, "deleted, not only hidden by the clock");
  assert.ok(await s.findObject("AccessToken", "new"));
  assert.deepEqual((await s.listRefreshFamilies()).map((f) => f.id), ["f3"]);
  assert.deepEqual((await s.listSigningKeys()).map((k) => k.kid), ["k3"]);
  assert.deepEqual((await s.listRevocations()).map((r) => r.id), ["r3"]);
  assert.equal((await s.listClients()).length + (await s.listPasswords()).length, 2);
}

/** Runs `act` and asserts whether the revocation stamp changed across it. */
async function expectStamp(s: Storage, changes: boolean, what: string, act: () => Promise<unknown>): Promise<void> {
  const before = await s.revocationStamp();
  await act();
  assert.equal((await s.revocationStamp()) !== before, changes, `${what} ${changes ? "changes" : "keeps"} the stamp`);
}

const STAMP_TESTS: readonly Case[] = [
  ["the revocation stamp changes with every create, lift and gc of a revocation", async (s, clock) => {
    const [r2, , r3] = REVOCATIONS.samples;
    await expectStamp(s, true, "a create", () => s.createRevocation(r2));
    await expectStamp(s, true, "another create", () => s.createRevocation(r3));
    await expectStamp(s, true, "a lift", () => s.deleteRevocation(r3.id));
    await expectStamp(s, true, "a gc that deletes a revocation", () => s.gc(clock.t + 2 * DAY));
    assert.deepEqual(await s.listRevocations(), []);
  }],
  ["the revocation stamp stays equal across reads, no-op writes and writes to other kinds", async (s, clock) => {
    const [r2] = REVOCATIONS.samples;
    await s.createRevocation(r2);
    await expectStamp(s, false, "reading", async () => [await s.listRevocations(), await s.getRevocation(r2.id)]);
    await expectStamp(s, false, "a conflicting create", () => assert.rejects(s.createRevocation(r2), isConflict));
    await expectStamp(s, false, "lifting a missing revocation", () => s.deleteRevocation("missing"));
    await expectStamp(s, false, "a gc with no revocation expired", () => s.gc(clock.t));
    await expectStamp(s, false, "writes to other kinds", async () => {
      await s.createClient(CLIENTS.samples[0]);
      await s.updateClient(CLIENTS.samples[0].id, CLIENTS.change);
      await s.deleteClient(CLIENTS.samples[0].id);
      await s.createRefreshFamily(FAMILIES.samples[0]);
      await s.updateRefreshFamily(FAMILIES.samples[0].id, FAMILIES.change);
      await s.createSigningKey(SIGNING_KEYS.samples[0]);
      await s.createPassword(PASSWORDS.samples[0]);
      await s.upsertObject(object("AccessToken", "a", { expiresAt: clock.t + 1000 }));
      assert.equal((await s.gc(clock.t + 1000)).protocolObjects, 1);
    });
  }],
];
