import { test, describe, beforeEach, afterEach } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm, writeFile, utimes, access } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { systemClock } from "../../../src/clock.ts";
import { acquireLock, type LockOptions } from "../../../src/login/lock.ts";
import { isKubewardError } from "../../../src/errors.ts";

const OPTIONS: LockOptions = { clock: systemClock, timeoutMs: 5_000, staleMs: 60_000, pollMs: 10 };

/** A pid that belonged to a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""]);
  await once(child, "exit");
  return child.pid ?? 0;
}

describe("the login lock", () => {
  let dir: string;
  let path: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "kubeward-lock-"));
    path = join(dir, "key.lock");
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  test("a second taker waits until the first releases, and is told once", async () => {
    const release = await acquireLock(path, OPTIONS);
    let waits = 0;
    let second = false;
    const next = acquireLock(path, { ...OPTIONS, onWait: () => waits++ }).then((r) => { second = true; return r; });
    await sleep(100);
    assert.equal(second, false);
    await release();
    await (await next)();
    assert.equal(waits, 1);
    await assert.rejects(access(path));
  });

  test("parallel takers hold it one at a time", async () => {
    let inside = 0;
    let most = 0;
    await Promise.all(Array.from({ length: 8 }, async () => {
      const release = await acquireLock(path, OPTIONS);
      inside++;
      most = Math.max(most, inside);
      await sleep(5);
      inside--;
      await release();
    }));
    assert.equal(most, 1);
  });

  test("a lock left by a process that is gone is broken at once", async () => {
    await writeFile(path, `${await deadPid()}\n`);
    const started = Date.now();
    const release = await acquireLock(path, OPTIONS);
    assert.ok(Date.now() - started < 1_000);
    await release();
  });

  test("a lock older than staleMs is broken even if its pid is alive", async () => {
    await writeFile(path, `${process.pid}\n`);
    const old = new Date(Date.now() - 120_000);
    await utimes(path, old, old);
    await (await acquireLock(path, OPTIONS))();
  });

  test("a live holder past the timeout: login_timeout", async () => {
    await writeFile(path, `${process.pid}\n`);
    await assert.rejects(acquireLock(path, { ...OPTIONS, timeoutMs: 150 }), (e) => isKubewardError(e, "login_timeout"));
  });
});
