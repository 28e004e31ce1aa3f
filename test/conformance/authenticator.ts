/**
 * The conformance suite every TokenAuthenticator implementation passes: its
 * own test file calls {@link authenticatorConformance} with a factory.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { isKubewardError, type ErrorCode } from "../../src/errors.ts";
import type { TokenAuthenticator, UserInfo } from "../../src/auth/authenticator.ts";

/** What a factory hands the suite: a fresh, not yet started authenticator and tokens for it. */
export interface ConformanceSubject {
  readonly authenticator: TokenAuthenticator;
  /** A token the authenticator must accept once ready, and the identity it must map to. */
  readonly valid: { readonly token: string; readonly user: UserInfo };
  /** A correctly signed token whose `exp` has passed. */
  readonly expiredToken: string;
  /** Stops whatever the factory started besides the authenticator (servers, sockets). */
  cleanup(): Promise<void>;
}

const READY_WITHIN_MS = 5_000;

async function waitReady(a: TokenAuthenticator): Promise<void> {
  const deadline = Date.now() + READY_WITHIN_MS;
  while (!a.ready()) {
    if (Date.now() > deadline) assert.fail(`not ready within ${READY_WITHIN_MS} ms of start()`);
    await sleep(20);
  }
}

async function assertRefused(p: Promise<unknown>, code: ErrorCode): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isKubewardError(e), `expected a KubewardError, got ${String(e)}`);
    assert.equal(e.code, code);
    assert.equal(e.status, 401);
    return true;
  });
}

/** Ref'd timers keep the process alive; a closed authenticator must leave none behind. */
function liveTimers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
}

/**
 * Registers the conformance tests for one implementation. `factory` is
 * called once per test and must return a subject whose source of keys is
 * reachable.
 *
 * @example
 * ```ts
 * authenticatorConformance("my authenticator", async () => ({
 *   authenticator: createMine(), valid: { token, user }, expiredToken, cleanup: async () => {},
 * }));
 * ```
 */
export function authenticatorConformance(name: string, factory: () => Promise<ConformanceSubject>): void {
  async function started(t: { after(fn: () => unknown): void }): Promise<ConformanceSubject> {
    const s = await factory();
    t.after(async () => {
      s.authenticator.close();
      await s.cleanup();
    });
    await s.authenticator.start();
    await waitReady(s.authenticator);
    return s;
  }

  test(`${name} conformance: refuses with authenticator_not_ready while not ready, and becomes ready after start()`, async (t) => {
    const s = await factory();
    t.after(async () => {
      s.authenticator.close();
      await s.cleanup();
    });
    if (!s.authenticator.ready()) await assertRefused(s.authenticator.authenticate(s.valid.token), "authenticator_not_ready");
    await s.authenticator.start();
    await waitReady(s.authenticator);
  });

  test(`${name} conformance: accepts a valid token and maps it to the expected identity`, async (t) => {
    const s = await started(t);
    const auth = await s.authenticator.authenticate(s.valid.token);
    assert.deepEqual(auth.user, s.valid.user);
    assert.ok(auth.expiresAt > Date.now(), "expiresAt is the token's exp, in the future");
    assert.equal(typeof auth.issuer, "string");
  });

  test(`${name} conformance: refuses an expired token with token_expired`, async (t) => {
    const s = await started(t);
    await assertRefused(s.authenticator.authenticate(s.expiredToken), "token_expired");
  });

  test(`${name} conformance: refuses garbage with token_malformed`, async (t) => {
    const s = await started(t);
    for (const garbage of ["", "not-a-jwt", "a.b", "!!!.???.***", `{"alg":"none"}`]) {
      await assertRefused(s.authenticator.authenticate(garbage), "token_malformed");
    }
  });

  test(`${name} conformance: close() leaves no timer running`, async () => {
    const before = liveTimers();
    const s = await factory();
    await s.authenticator.start();
    await waitReady(s.authenticator);
    await s.authenticator.authenticate(s.valid.token);
    s.authenticator.close();
    await s.cleanup();
    await sleep(10);
    assert.ok(liveTimers() <= before, `timers before ${before}, after close ${liveTimers()}`);
  });
}
