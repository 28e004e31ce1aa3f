/** The SQLite backend's group commit: one fsync at a time, shared by every flush asked for before it started. */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { isKubewardError } from "../../../../src/errors.ts";
import { openWalSync, type Fsync } from "../../../../src/issuer/storage/sqlite/wal-sync.ts";

const dir = mkdtempSync(join(tmpdir(), "kubeward-wal-sync-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

/** An fsync the test completes by hand, one call at a time. */
function manualFsync() {
  const pending: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  const fsync: Fsync = () => new Promise((resolve, reject) => pending.push({ resolve, reject }));
  return { fsync, pending, calls: () => pending.length };
}

async function open(fsync: Fsync) {
  const file = join(dir, `${++n}.db-wal`);
  writeFileSync(file, "");
  return openWalSync(file, fsync);
}

/** Lets settled promises run their callbacks. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

test("a flush resolves only when its fsync completes", async () => {
  const disk = manualFsync();
  const sync = await open(disk.fsync);
  let done = false;
  const flushed = sync.flush().then(() => { done = true; });
  await settle();
  assert.equal(disk.calls(), 1);
  assert.equal(done, false);
  disk.pending[0]?.resolve();
  await flushed;
  await sync.close();
});

test("flushes asked for during an fsync share the next one, started after it", async () => {
  const disk = manualFsync();
  const sync = await open(disk.fsync);
  const first = sync.flush();
  const waiting = Array.from({ length: 10 }, () => sync.flush());
  await settle();
  assert.equal(disk.calls(), 1, "the second fsync must wait for the first");
  disk.pending[0]?.resolve();
  await first;
  await settle();
  assert.equal(disk.calls(), 2, "ten flushes, one more fsync");
  let done = false;
  const all = Promise.all(waiting).then(() => { done = true; });
  await settle();
  assert.equal(done, false, "the fsync that started before them does not count");
  disk.pending[1]?.resolve();
  await all;
  await sync.close();
});

test("soon() starts an fsync without waiting for it", async () => {
  const disk = manualFsync();
  const sync = await open(disk.fsync);
  sync.soon();
  await settle();
  assert.equal(disk.calls(), 1);
  disk.pending[0]?.resolve();
  await sync.close();
});

test("after a failed fsync every flush fails with storage_unavailable", async () => {
  const disk = manualFsync();
  const sync = await open(disk.fsync);
  const failed = sync.flush();
  await settle();
  disk.pending[0]?.reject(new Error("EIO"));
  await assert.rejects(failed, (e) => isKubewardError(e, "storage_unavailable") && /EIO/.test(e.detail ?? ""));
  await assert.rejects(sync.flush(), (e) => isKubewardError(e, "storage_unavailable"));
  assert.equal(disk.calls(), 1, "a failed fsync is not retried: the kernel may have dropped the pages");
  await sync.close();
});

test("the real fdatasync flushes", async () => {
  const sync = await open((f) => f.datasync());
  await sync.flush();
  await sync.close();
});
