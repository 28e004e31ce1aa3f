/**
 * The connector conformance suite: every connector's test calls
 * {@link connectorConformance}, so password and callback connectors alike
 * are held to the same login, refresh, outage and logging behaviour.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Writable } from "node:stream";
import { isKubewardError, type ErrorCode } from "../../src/errors.ts";
import { createLogger } from "../../src/log/logger.ts";
import {
  isCallbackConnector, isPasswordConnector, isRefreshConnector,
  type Connector, type ConnectorDeps, type Identity, type Scopes,
} from "../../src/issuer/connectors/connector.ts";

/** What the suite expects a good login to report. */
export interface ExpectedUser {
  readonly username: string;
  readonly email: string;
  readonly groups: readonly string[];
}

/** A connector opened for the suite, with hooks into its upstream. */
export interface ConnectorUnderTest {
  readonly connector: Connector;
  readonly expected: ExpectedUser;
  /** Logs the good user in: `login()` for a password connector, the whole upstream flow for a callback one. */
  login(scopes: Scopes): Promise<Identity | undefined>;
  /** The same with wrong credentials (a wrong password, or the user refused at the upstream). */
  loginWrong(scopes: Scopes): Promise<Identity | undefined>;
  /** Changes the good user's groups upstream; absent when the upstream is fixed config. */
  setGroups?(groups: readonly string[]): Promise<void>;
  /** Removes the good user upstream; absent when the upstream is fixed config. */
  removeUser?(): Promise<void>;
  /** Makes the upstream unreachable; absent when the connector has no upstream. */
  takeDown?(): Promise<void>;
  /** Passwords, client secrets and tokens that no log line may contain. */
  secrets(): readonly string[];
  /** Stops the upstream; the suite closes the connector itself. */
  close(): Promise<void>;
}

/** Opens a fresh connector (and its upstream) on the suite's deps, whose logger the suite reads. */
export type ConnectorSetup = (deps: ConnectorDeps) => Promise<ConnectorUnderTest>;

/** Codes a connector may fail with when its upstream cannot be reached. */
const OUTAGE_CODES: readonly ErrorCode[] = ["connector_unavailable", "storage_unavailable"];
const ALL: Scopes = { offlineAccess: true, groups: true };

/** Each case gets a connector and the log lines written so far. */
type Body = (t: ConnectorUnderTest, logLines: () => string[]) => Promise<void>;

function run(setup: ConnectorSetup, body: Body): () => Promise<void> {
  return async () => {
    const lines: string[] = [];
    const destination = new Writable({ write(chunk: Buffer, _enc, done) { lines.push(...chunk.toString("utf8").split("\n").filter(Boolean)); done(); } });
    const logger = createLogger({ level: "trace", destination });
    const t = await setup({ clock: { now: () => Date.now() }, logger, fetch: globalThis.fetch });
    try {
      await body(t, () => [...lines]);
      for (const secret of t.secrets()) {
        for (const line of lines) assert.ok(!line.includes(secret), `a log line contains a secret: ${line}`);
      }
    } finally {
      await t.connector.close();
      await t.close();
    }
  };
}

function assertIdentity(id: Identity | undefined, expected: ExpectedUser, groups = expected.groups): asserts id is Identity {
  assert.ok(id, "the good user's login gave no identity");
  assert.ok(typeof id.userID === "string" && id.userID.length > 0, "userID must be a non-empty string");
  assert.deepEqual({ username: id.username, email: id.email, groups: [...id.groups].sort() },
    { username: expected.username, email: expected.email, groups: [...groups].sort() });
  assert.deepEqual(JSON.parse(JSON.stringify(id.connectorData ?? null)), id.connectorData ?? null, "connectorData must survive JSON");
}

/** Stored as the issuer stores it: through JSON. */
const stored = (id: Identity): Identity => JSON.parse(JSON.stringify(id)) as Identity;

async function wrongIsRefused(t: ConnectorUnderTest): Promise<void> {
  if (isPasswordConnector(t.connector)) {
    assert.equal(await t.loginWrong(ALL), undefined, "wrong credentials must resolve undefined");
  } else {
    await assert.rejects(t.loginWrong(ALL), (e) => isKubewardError(e), "wrong credentials must reject with a KubewardError");
  }
}

async function refreshSeesChanges(t: ConnectorUnderTest): Promise<void> {
  if (!isRefreshConnector(t.connector)) return;
  const first = await t.login(ALL);
  assertIdentity(first, t.expected);
  const again = await t.connector.refresh(ALL, stored(first));
  assertIdentity(again, t.expected);
  assert.equal(again.userID, first.userID);
  if (t.setGroups === undefined) return;
  await t.setGroups(["changed-group"]);
  const changed = await t.connector.refresh(ALL, stored(again));
  assertIdentity(changed, t.expected, ["changed-group"]);
}

async function removedUserIsRefused(t: ConnectorUnderTest): Promise<void> {
  if (!isRefreshConnector(t.connector) || t.removeUser === undefined) return;
  const first = await t.login(ALL);
  assertIdentity(first, t.expected);
  await t.removeUser();
  await assert.rejects(t.connector.refresh(ALL, stored(first)), (e) => isKubewardError(e, "connector_refused"));
}

async function outageIsReported(t: ConnectorUnderTest): Promise<void> {
  if (t.takeDown === undefined) return;
  const first = await t.login(ALL);
  assertIdentity(first, t.expected);
  await t.takeDown();
  const outage = (e: unknown) => isKubewardError(e, ...OUTAGE_CODES);
  await assert.rejects(t.login(ALL), outage, "a login with the upstream down must reject with an outage code");
  if (isRefreshConnector(t.connector)) await assert.rejects(t.connector.refresh(ALL, stored(first)), outage);
}

/**
 * Runs the suite against the connector `setup` opens.
 *
 * @example
 * connectorConformance("local", async (deps) => ({ connector: await openLocalConnector(…, deps), … }));
 */
export function connectorConformance(name: string, setup: ConnectorSetup): void {
  describe(`connector conformance: ${name}`, () => {
    test("is a password or a callback connector, with an id, type and name", run(setup, async (t) => {
      assert.ok(isPasswordConnector(t.connector) || isCallbackConnector(t.connector));
      assert.ok(t.connector.id && t.connector.type && t.connector.name);
    }));
    test("a good login reports the user, and the same userID every time", run(setup, async (t) => {
      const first = await t.login(ALL);
      assertIdentity(first, t.expected);
      const second = await t.login(ALL);
      assertIdentity(second, t.expected);
      assert.equal(second.userID, first.userID);
    }));
    test("groups are left out when the client did not ask for them", run(setup, async (t) => {
      const id = await t.login({ offlineAccess: false, groups: false });
      assertIdentity(id, t.expected, []);
    }));
    test("wrong credentials are refused", run(setup, wrongIsRefused));
    test("refresh reports the user's current data", run(setup, refreshSeesChanges));
    test("refresh refuses a user removed upstream", run(setup, removedUserIsRefused));
    test("an unreachable upstream is a KubewardError with an outage code", run(setup, outageIsReported));
    test("the log carries no password, client secret or token, even at trace level", run(setup, async (t, logLines) => {
      await t.login(ALL);
      await t.loginWrong(ALL).catch(() => undefined);
      assert.ok(t.secrets().length > 0, "the test must name the secrets to look for");
      assert.ok(logLines().length > 0, "the connector should log its logins");
    }));
  });
}
