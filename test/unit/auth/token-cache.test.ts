import { test } from "node:test";
import assert from "node:assert/strict";
import { KubewardError, isKubewardError } from "../../../src/errors.ts";
import type { Authentication, TokenAuthenticator } from "../../../src/auth/authenticator.ts";
import { withTokenCache } from "../../../src/auth/token-cache.ts";
import { Metrics } from "../../../src/metrics/metrics.ts";

const T0 = 1_700_000_000_000;

/** An inner authenticator that counts verifications; tokens look like "<user>:<exp ms>" or "bad". */
function countingInner(clock: { now(): number }) {
  const state = { calls: 0, started: 0, closed: 0 };
  const inner: TokenAuthenticator = {
    async authenticate(token: string): Promise<Authentication> {
      state.calls++;
      await Promise.resolve();
      const [user, exp] = token.split(":");
      if (user === "bad" || exp === undefined) throw new KubewardError("token_signature_invalid", "bad");
      if (Number(exp) < clock.now()) throw new KubewardError("token_expired", "expired");
      return { user: { username: user ?? "", groups: [], extra: {} }, expiresAt: Number(exp), issuer: "https://i" };
    },
    ready: () => true,
    async start() {
      state.started++;
    },
    close() {
      state.closed++;
    },
  };
  return { inner, state };
}

function setup(maxTtlMs = 5 * 60_000, maxEntries = 100) {
  const clock = { t: T0, now() { return this.t; } };
  const metrics = new Metrics();
  const { inner, state } = countingInner(clock);
  const cached = withTokenCache(inner, { maxEntries, maxTtlMs, clock, metrics });
  return { clock, metrics, state, cached };
}

async function lookups(metrics: Metrics, result: string): Promise<number> {
  const m = (await metrics.registry.getMetricsAsJSON()).find((x) => x.name === "kubeward_token_cache_lookups_total");
  return Number(m?.values.find((v) => v.labels["result"] === result)?.value ?? 0);
}

test("a token seen before is answered from the cache without verifying it again", async () => {
  const { cached, state, metrics } = setup();
  const token = `alice:${T0 + 3_600_000}`;
  const first = await cached.authenticate(token);
  const second = await cached.authenticate(token);
  assert.equal(state.calls, 1);
  assert.deepEqual(second, first);
  assert.equal(await lookups(metrics, "miss"), 1);
  assert.equal(await lookups(metrics, "hit"), 1);
});

test("a cached entry lives at most the maximum TTL, then the token is verified again", async () => {
  const { cached, state, clock } = setup(60_000);
  const token = `alice:${T0 + 3_600_000}`;
  await cached.authenticate(token);
  clock.t = T0 + 59_000;
  await cached.authenticate(token);
  assert.equal(state.calls, 1);
  clock.t = T0 + 61_000;
  await cached.authenticate(token);
  assert.equal(state.calls, 2);
});

test("a cached entry never outlives the token's exp: at exp+1 ms the token is refused as expired", async () => {
  const { cached, state, clock } = setup();
  const exp = T0 + 30_000;
  const token = `alice:${exp}`;
  await cached.authenticate(token);
  clock.t = exp;
  assert.equal((await cached.authenticate(token)).user.username, "alice", "still valid at exactly exp");
  clock.t = exp + 1;
  await assert.rejects(cached.authenticate(token), (e) => isKubewardError(e, "token_expired"));
  assert.equal(state.calls, 2, "the entry was gone, so the token was verified again");
});

test("failures are not cached", async () => {
  const { cached, state } = setup();
  await assert.rejects(cached.authenticate("bad"), (e) => isKubewardError(e, "token_signature_invalid"));
  await assert.rejects(cached.authenticate("bad"), (e) => isKubewardError(e, "token_signature_invalid"));
  assert.equal(state.calls, 2);
});

test("an entry is not kept when the token expires at the moment it is verified", async () => {
  const { cached, state } = setup();
  const token = `alice:${T0}`;
  await cached.authenticate(token);
  await cached.authenticate(token);
  assert.equal(state.calls, 2);
});

test("concurrent authentications of one token share a single verification", async () => {
  const { cached, state } = setup();
  const token = `bob:${T0 + 60_000}`;
  const results = await Promise.all(Array.from({ length: 20 }, () => cached.authenticate(token)));
  assert.equal(state.calls, 1);
  assert.ok(results.every((r) => r.user.username === "bob"));
});

test("the cache holds at most maxEntries tokens, evicting the least recently used", async () => {
  const { cached, state } = setup(60_000, 2);
  const [a, b, c] = ["a", "b", "c"].map((u) => `${u}:${T0 + 60_000}`) as [string, string, string];
  await cached.authenticate(a);
  await cached.authenticate(b);
  await cached.authenticate(a);
  await cached.authenticate(c);
  assert.equal(state.calls, 3);
  await cached.authenticate(a);
  assert.equal(state.calls, 3, "a was recently used and stayed");
  await cached.authenticate(b);
  assert.equal(state.calls, 4, "b was evicted");
});

test("start, ready and close pass through to the inner authenticator", async () => {
  const { cached, state } = setup();
  await cached.start();
  assert.equal(cached.ready(), true);
  cached.close();
  assert.deepEqual([state.started, state.closed], [1, 1]);
});
