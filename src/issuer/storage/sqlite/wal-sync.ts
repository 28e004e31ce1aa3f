/**
 * Group commit for the SQLite backend: commits run with synchronous=NORMAL
 * (in the OS page cache when they return), and a write that must survive a
 * power cut waits for an fsync of the WAL file, taken off the event loop and
 * shared by every write committed before it started.
 */
import { open, type FileHandle } from "node:fs/promises";
import { KubewardError } from "../../../errors.ts";

/** Makes committed writes durable. */
export interface WalSync {
  /** Resolves once every commit made before the call is on disk. */
  flush(): Promise<void>;
  /** Asks for a flush without waiting for it: the commit's durability may lag by one fsync. */
  soon(): void;
  /** Waits for the fsync in flight, then closes the file. */
  close(): Promise<void>;
}

/** Forces a file's data to disk; `FileHandle.datasync` (fdatasync) unless a test substitutes one. */
export type Fsync = (file: FileHandle) => Promise<void>;

/**
 * One fsync runs at a time. A flush asked for while one runs cannot use it
 * (the fsync may have started before the caller's commit), so it joins the
 * next, which every caller arriving meanwhile shares.
 */
class GroupSync implements WalSync {
  readonly #file: FileHandle;
  readonly #fsync: Fsync;
  #running: Promise<void> | undefined;
  #queued: Promise<void> | undefined;
  /** After one failed fsync the kernel may have dropped the dirty pages: nothing is durable any more. */
  #failure: KubewardError | undefined;

  constructor(file: FileHandle, fsync: Fsync) {
    this.#file = file;
    this.#fsync = fsync;
  }

  flush(): Promise<void> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    if (this.#running === undefined) return this.#start();
    this.#queued ??= this.#running.catch(() => undefined).then(() => {
      this.#queued = undefined;
      return this.#start();
    });
    return this.#queued;
  }

  soon(): void {
    this.flush().catch(() => undefined);
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.#running, this.#queued]);
    await this.#file.close();
  }

  #start(): Promise<void> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    const run: Promise<void> = this.#fsync(this.#file).catch((e: unknown) => {
      this.#failure = new KubewardError("storage_unavailable", `sqlite: fsync of the WAL failed: ${String(e)}`, { cause: e });
      throw this.#failure;
    }).finally(() => {
      if (this.#running === run) this.#running = undefined;
    });
    this.#running = run;
    return run;
  }
}

/**
 * The group commit of the database whose WAL file is `walFile`. The file must
 * exist: SQLite creates it when the first connection opens in WAL mode, and
 * keeps it (same inode, reused from the start after a checkpoint) until the
 * last connection closes.
 */
export async function openWalSync(walFile: string, fsync: Fsync = (f) => f.datasync()): Promise<WalSync> {
  return new GroupSync(await open(walFile, "r+"), fsync);
}
