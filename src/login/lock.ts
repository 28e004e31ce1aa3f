/**
 * A lock file, so parallel `kubeward login` runs for one cache key start one
 * login: the first creates the file (`wx`), the others wait for it to go.
 * A lock whose process is gone, or that is older than `staleMs`, is broken.
 */
import { open, readFile, stat } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { KubewardError } from "../errors.ts";
import type { Clock } from "../clock.ts";
import { removeFile } from "./token-cache.ts";

export interface LockOptions {
  readonly clock: Clock;
  /** Give up waiting after this long (login_timeout). */
  readonly timeoutMs: number;
  /** A lock older than this is taken to be left behind. */
  readonly staleMs: number;
  /** How often a waiter looks again. Default 100 ms. */
  readonly pollMs?: number;
  /** Called once when this run has to wait for another. */
  readonly onWait?: () => void;
}

/** Releases a held lock. */
export type Release = () => Promise<void>;

/**
 * Takes the lock at `path`, waiting while another live process holds it.
 *
 * @example
 * ```ts
 * const release = await acquireLock(`${file}.lock`, { clock: systemClock, timeoutMs: 180_000, staleMs: 240_000 });
 * try { ... } finally { await release(); }
 * ```
 */
export async function acquireLock(path: string, options: LockOptions): Promise<Release> {
  const deadline = options.clock.now() + options.timeoutMs;
  let waited = false;
  for (;;) {
    if (await tryCreate(path)) return () => removeFile(path).then(() => undefined);
    if (await isStale(path, options)) {
      await breakLock(path, options);
      continue;
    }
    if (!waited) options.onWait?.();
    waited = true;
    if (options.clock.now() >= deadline) throw new KubewardError("login_timeout", `another kubeward login held ${path} for longer than the timeout`);
    await sleep(options.pollMs ?? 100);
  }
}

/** Creates the lock file with this process's pid; false when it exists. */
async function tryCreate(path: string): Promise<boolean> {
  try {
    const handle = await open(path, "wx", 0o600);
    await handle.writeFile(`${process.pid}\n`);
    await handle.close();
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw e;
  }
}

/** True when the lock's process is gone or the lock is older than `staleMs`. */
async function isStale(path: string, options: LockOptions): Promise<boolean> {
  const [content, info] = await Promise.all([readFile(path, "utf8").catch(() => undefined), stat(path).catch(() => undefined)]);
  if (content === undefined || info === undefined) return false;
  if (options.clock.now() - info.mtimeMs > options.staleMs) return true;
  const pid = Number(content.trim());
  return Number.isInteger(pid) && pid > 0 && !processAlive(pid);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Removes a stale lock under a short-lived second lock, checking again that it
 * is stale, so two waiters never remove the lock the first of them just took.
 */
async function breakLock(path: string, options: LockOptions): Promise<void> {
  const breaker = `${path}.break`;
  if (!(await tryCreate(breaker))) {
    const info = await stat(breaker).catch(() => undefined);
    if (info !== undefined && options.clock.now() - info.mtimeMs > 10_000) await removeFile(breaker);
    else await sleep(options.pollMs ?? 100);
    return;
  }
  try {
    if (await isStale(path, options)) await removeFile(path);
  } finally {
    await removeFile(breaker);
  }
}
