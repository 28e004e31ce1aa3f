import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { systemClock } from "../../../src/clock.ts";
import type { Revocation as StoredRevocation } from "../../../src/issuer/storage/entities.ts";
import { openSqliteStorage } from "../../../src/issuer/storage/sqlite/sqlite-storage.ts";
import type { RevocationStore } from "../../../src/issuer/storage/storage.ts";
import { createLogger } from "../../../src/log/logger.ts";
import { Metrics } from "../../../src/metrics/metrics.ts";
import { RevocationGuard } from "../../../src/revocation/guard.ts";
import { fromRecords, revocationRecord } from "../../../src/revocation/model.ts";
import { RevocationSync } from "../../../src/revocation/sync.ts";

function fakeStore(records: StoredRevocation[], fail: { now: boolean }): RevocationStore {
  return {
    revocationStamp: async () => { if (fail.now) throw new Error("down"); return records.map((r) => r.id).join(); },
    listRevocations: async () => { if (fail.now) throw new Error("down"); return [...records]; },
    getRevocation: async (id) => records.find((r) => r.id === id),
    createRevocation: async (r) => { records.push(r); },
    deleteRevocation: async (id) => records.splice(records.findIndex((r) => r.id === id), 1).length > 0,
  };
}

const logger = createLogger({ level: "silent" });

test("a stored revocation lapses maxTokenAge after it, and is then no longer in force", () => {
  const record = revocationRecord({ id: "r", kind: "user", name: "a", before: 1_000, reason: "", actor: "x", created: 1_000 }, 500);
  assert.equal(record.until, 1_500);
  assert.equal(fromRecords([record], 1_499).revocations.length, 1);
  assert.equal(fromRecords([record], 1_500).revocations.length, 0);
});

test("the guard sweeps open connections of a newly revoked identity, only those, and only once", async () => {
  const records: StoredRevocation[] = [];
  const guard = new RevocationGuard({ store: fakeStore(records, { now: false }), clock: systemClock, logger, metrics: new Metrics() });
  await guard.start();
  guard.stop();
  const closed: string[] = [];
  guard.connections.add({ subject: { username: "a", groups: [], issuedAt: 1 }, close: () => closed.push("a") });
  guard.connections.add({ subject: { username: "b", groups: [], issuedAt: 1 }, close: () => closed.push("b") });
  records.push(revocationRecord({ id: "r1", kind: "user", name: "a", before: Date.now(), reason: "", actor: "x", created: Date.now() }, 60_000));
  await guard.sync.refresh();
  await guard.sync.refresh();
  assert.deepEqual(closed, ["a"]);
  assert.equal(guard.connections.size, 1);
});

test("failClosed: stale (and not ready) before the first read and after staleAfter without one; bestEffort never", async () => {
  let now = 10_000;
  const clock = { now: () => now };
  const fail = { now: true };
  const metrics = new Metrics();
  const strict = new RevocationGuard({ store: fakeStore([], fail), clock, logger, metrics, mode: "failClosed", staleAfterMs: 1_000 });
  const lenient = new RevocationGuard({ store: fakeStore([], fail), clock, logger, metrics: new Metrics(), mode: "bestEffort", staleAfterMs: 1_000 });
  const subject = { username: "a", groups: [], issuedAt: 1 };
  await strict.sync.refresh();
  await lenient.sync.refresh();
  assert.match(await metrics.registry.getSingleMetricAsString("kubeward_revocation_list_staleness_seconds"), / -1$/, "never read");
  assert.equal(strict.check(subject), "stale");
  assert.equal(lenient.check(subject), undefined);
  assert.equal(lenient.ready(), false, "not ready before the list was read once, whatever the mode");
  fail.now = false;
  await strict.sync.refresh();
  await lenient.sync.refresh();
  assert.equal(strict.check(subject), undefined);
  assert.ok(strict.ready() && lenient.ready());
  now += 1_001;
  assert.equal(strict.check(subject), "stale");
  assert.equal(strict.ready(), false);
  assert.equal(lenient.ready(), true);
  assert.match(await metrics.registry.getSingleMetricAsString("kubeward_revocation_list_staleness_seconds"), / 1\.001$/, "the staleness the guard sees now, not at the last read");
});

/** `store`, counting how often its whole list is read. */
function countingLists(store: RevocationStore): { store: RevocationStore; lists: () => number } {
  let lists = 0;
  const counted: RevocationStore = { ...store, listRevocations: () => { lists++; return store.listRevocations(); } };
  return { store: counted, lists: () => lists };
}

test("a poll with an unchanged stamp confirms the list current without reading it", async () => {
  let now = 10_000;
  const { store, lists } = countingLists(fakeStore([], { now: false }));
  const sync = new RevocationSync({ store, clock: { now: () => now }, logger, metrics: new Metrics() });
  await sync.refresh();
  now += 5_000;
  await sync.refresh();
  await sync.refresh();
  assert.equal(lists(), 1, "only the first read lists");
  assert.equal(sync.staleness(), 0, "the stamp read confirmed the list");
});

test("another replica's change through its own handle on the sqlite file is picked up within the poll interval", async () => {
  const dir = mkdtempSync(join(tmpdir(), "kubeward-sync-"));
  const file = join(dir, "issuer.db");
  const writer = await openSqliteStorage({ file }, { clock: systemClock });
  const reader = await openSqliteStorage({ file }, { clock: systemClock });
  const { store, lists } = countingLists(reader);
  const sync = new RevocationSync({ store, clock: systemClock, logger, metrics: new Metrics(), pollIntervalMs: 50 });
  try {
    await sync.start();
    await sleep(300);
    assert.equal(lists(), 1, "polls with no change read only the stamp");
    const changed = new Promise<number>((resolve) => sync.onChange(() => resolve(Date.now())));
    const written = Date.now();
    await writer.createRevocation(revocationRecord({ id: "r1", kind: "user", name: "a", before: written, reason: "", actor: "x", created: written }, 60_000));
    assert.ok((await changed) - written < 1_000, "picked up within a second at a 50 ms poll interval");
    assert.equal(sync.index.counts.user, 1);
    assert.equal(lists(), 2);
  } finally {
    sync.stop();
    await writer.close();
    await reader.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
