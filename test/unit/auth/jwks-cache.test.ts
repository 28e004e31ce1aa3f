import { test } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { JwksCache, type JwksCacheOptions } from "../../../src/auth/jwks-cache.ts";
import { createLogger } from "../../../src/log/logger.ts";
import { Metrics } from "../../../src/metrics/metrics.ts";

const jwk = (kid: string): Record<string, unknown> => ({ ...generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ format: "jwk" }), kid });
const K1 = jwk("k1");
const K2 = jwk("k2");

/** A fake issuer: serves `doc`, or fails while `fail` is set; counts requests. */
function fakeIssuer() {
  const state = { doc: { keys: [K1] } as unknown, fail: false, calls: 0, delayMs: 5 };
  const get = async (): Promise<unknown> => {
    state.calls++;
    await sleep(state.delayMs);
    if (state.fail) throw new Error("connect ECONNREFUSED");
    return state.doc;
  };
  return { state, get };
}

function makeCache(get: JwksCacheOptions["get"], over: Partial<JwksCacheOptions> = {}) {
  const metrics = new Metrics();
  const counts: number[] = [];
  const cache = new JwksCache({
    issuerUrl: "https://issuer.test", jwksUri: "https://issuer.test/keys", get,
    clock: { now: () => 1_700_000_000_000 }, logger: createLogger({ level: "silent" }), metrics,
    minRefetchIntervalMs: 60, refreshIntervalMs: 60_000, onKeys: (n) => counts.push(n), ...over,
  });
  return { cache, metrics, counts };
}

async function metric(metrics: Metrics, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = (await metrics.registry.getMetricsAsJSON()).find((x) => x.name === name);
  const v = m?.values.find((x) => Object.entries(labels).every(([k, l]) => x.labels[k] === l));
  return Number(v?.value ?? 0);
}

test("load() fetches the key set, reports the count and the fetch time", async (t) => {
  const { state, get } = fakeIssuer();
  const { cache, metrics, counts } = makeCache(get);
  t.after(() => cache.close());
  assert.equal(cache.loaded(), false);
  assert.equal(await cache.load(), true);
  assert.equal(cache.loaded(), true);
  assert.deepEqual(cache.keys().map((k) => k.kid), ["k1"]);
  assert.deepEqual(counts, [1]);
  assert.equal(state.calls, 1);
  assert.equal(await metric(metrics, "kubeward_jwks_fetches_total", { result: "success" }), 1);
  assert.equal(await metric(metrics, "kubeward_jwks_last_success_timestamp_seconds"), 1_700_000_000);
});

test("concurrent loads share one request", async (t) => {
  const { state, get } = fakeIssuer();
  const { cache } = makeCache(get);
  t.after(() => cache.close());
  await Promise.all([cache.load(), cache.load(), cache.load()]);
  assert.equal(state.calls, 1);
});

test("100 simultaneous refetches right after a fetch cause exactly one more request, after the minimum interval", async (t) => {
  const { state, get } = fakeIssuer();
  const { cache, metrics } = makeCache(get, { minRefetchIntervalMs: 80 });
  t.after(() => cache.close());
  await cache.load();
  state.doc = { keys: [K1, K2] };
  const started = performance.now();
  const results = await Promise.all(Array.from({ length: 100 }, () => cache.refetch()));
  assert.ok(performance.now() - started >= 60, "waited for the rate limit");
  assert.equal(state.calls, 2);
  for (const keys of results) assert.deepEqual(keys.map((k) => k.kid), ["k1", "k2"]);
  assert.equal(await metric(metrics, "kubeward_jwks_fetches_total", { result: "throttled" }), 100);
});

test("a refetch long after the last fetch goes out at once; requests during it join it", async (t) => {
  let now = 0;
  const { state, get } = fakeIssuer();
  const { cache } = makeCache(get, { monotonicNow: () => now, minRefetchIntervalMs: 1_000 });
  t.after(() => cache.close());
  await cache.load();
  now = 5_000;
  state.doc = { keys: [K2] };
  const started = performance.now();
  const [a, b] = await Promise.all([cache.refetch(), cache.refetch()]);
  assert.ok(performance.now() - started < 500, "no rate-limit wait");
  assert.equal(state.calls, 2);
  assert.deepEqual([a, b].map((keys) => keys.map((k) => k.kid)), [["k2"], ["k2"]]);
});

test("the rate limit holds over time: a steady stream of refetches makes at most one request per interval", async (t) => {
  const { state, get } = fakeIssuer();
  const { cache } = makeCache(get, { minRefetchIntervalMs: 50 });
  t.after(() => cache.close());
  await cache.load();
  const until = performance.now() + 260;
  const pending: Promise<unknown>[] = [];
  while (performance.now() < until) {
    pending.push(cache.refetch());
    await sleep(5);
  }
  await Promise.all(pending);
  assert.ok(state.calls <= 1 + Math.ceil(260 / 50) + 1, `made ${state.calls} requests`);
  assert.ok(state.calls >= 3, "it does keep refetching");
});

test("when the issuer fails, the last good keys stay in use and the failure is counted", async (t) => {
  let now = 0;
  const { state, get } = fakeIssuer();
  const { cache, metrics } = makeCache(get, { monotonicNow: () => now });
  t.after(() => cache.close());
  await cache.load();
  state.fail = true;
  now = 10_000;
  assert.equal(await cache.load(), false);
  assert.deepEqual((await cache.refetch()).map((k) => k.kid), ["k1"]);
  assert.equal(cache.loaded(), true);
  assert.equal(await metric(metrics, "kubeward_jwks_fetches_total", { result: "failure" }), 2);
});

test("a document that is not a key set is a failure: nothing is loaded, and loaded keys are kept", async (t) => {
  let now = 0;
  const { state, get } = fakeIssuer();
  const { cache } = makeCache(get, { monotonicNow: () => now });
  t.after(() => cache.close());
  await cache.load();
  state.doc = { error: "oops" };
  now = 10_000;
  assert.equal(await cache.load(), false);
  assert.deepEqual(cache.keys().map((k) => k.kid), ["k1"]);
  const fresh = makeCache(get).cache;
  t.after(() => fresh.close());
  assert.equal(await fresh.load(), false);
  assert.equal(fresh.loaded(), false);
});

test("the background refresh refetches periodically until close()", async () => {
  const { state, get } = fakeIssuer();
  const { cache } = makeCache(get, { refreshIntervalMs: 30 });
  await cache.load();
  cache.startRefresh();
  await sleep(110);
  cache.close();
  const calls = state.calls;
  assert.ok(calls >= 3, `refreshed ${calls - 1} times`);
  await sleep(80);
  assert.equal(state.calls, calls, "no fetch after close()");
});

test("close() releases waiters at once with the keys it has, and no request follows", async () => {
  const { state, get } = fakeIssuer();
  const { cache } = makeCache(get, { minRefetchIntervalMs: 10_000 });
  await cache.load();
  const waiting = cache.refetch();
  cache.close();
  assert.deepEqual((await waiting).map((k) => k.kid), ["k1"]);
  assert.equal(state.calls, 1);
});
