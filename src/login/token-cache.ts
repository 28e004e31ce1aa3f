/**
 * The login token cache: one 0600 JSON file per (issuer, client id, scopes)
 * in a 0700 directory, written to a temporary file and renamed into place so
 * a reader never sees half a file.
 */
import { createHash, randomBytes } from "node:crypto";
import { chmod, mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** What a cache entry is for. Scopes are compared as a sorted set. */
export interface CacheKey {
  readonly issuer: string;
  readonly clientId: string;
  readonly scopes: readonly string[];
}

/** The tokens kept for one key. */
export interface CachedTokens {
  /** The token kubectl presents: the ID token, or the access token when the grant gave no ID token. */
  readonly token: string;
  /** When `token` expires (ms since the epoch), when known. */
  readonly expiresAt: number | undefined;
  readonly refreshToken: string | undefined;
}

/** A cache file's content: the key it belongs to and its tokens. */
export interface CacheEntry extends CacheKey, CachedTokens {}

/** The scopes of a key as they are compared: sorted, without duplicates. */
export function normalScopes(scopes: readonly string[]): string[] {
  return [...new Set(scopes)].sort();
}

/** The file name of a key: a sha256 of its parts, so no issuer URL character reaches the file system. */
export function cacheFileName(key: CacheKey): string {
  const parts = JSON.stringify([key.issuer, key.clientId, normalScopes(key.scopes)]);
  return createHash("sha256").update(parts).digest("hex") + ".json";
}

/** Reads, writes and removes cache entries in one directory. */
export class TokenCache {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  /** The path of a key's file (it may not exist). */
  pathOf(key: CacheKey): string {
    return join(this.dir, cacheFileName(key));
  }

  /** The key's entry, or undefined when there is none or it cannot be read. */
  async read(key: CacheKey): Promise<CacheEntry | undefined> {
    return parseEntry(await readFile(this.pathOf(key), "utf8").catch(() => undefined));
  }

  /** Replaces the key's entry atomically; the directory is made 0700 and the file 0600. */
  async write(key: CacheKey, tokens: CachedTokens): Promise<void> {
    await this.ensureDir();
    const entry: CacheEntry = { issuer: key.issuer, clientId: key.clientId, scopes: normalScopes(key.scopes), ...tokens };
    const target = this.pathOf(key);
    const temp = `${target}.${randomBytes(6).toString("hex")}.tmp`;
    await writeFile(temp, JSON.stringify(entry) + "\n", { mode: 0o600, flag: "wx" });
    try {
      await rename(temp, target);
    } catch (e) {
      await rm(temp, { force: true });
      throw e;
    }
  }

  /** Every readable entry with its file path. */
  async list(): Promise<Array<{ readonly path: string; readonly entry: CacheEntry }>> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const out: Array<{ path: string; entry: CacheEntry }> = [];
    for (const name of names.filter((n) => /^[0-9a-f]{64}\.json$/.test(n)).sort()) {
      const path = join(this.dir, name);
      const entry = parseEntry(await readFile(path, "utf8").catch(() => undefined));
      if (entry !== undefined) out.push({ path, entry });
    }
    return out;
  }

  /** Creates the directory 0700 (and makes an existing one 0700). */
  async ensureDir(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await chmod(this.dir, 0o700);
  }
}

/** Removes a file; true when it existed. */
export async function removeFile(path: string): Promise<boolean> {
  try {
    await rm(path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw e;
  }
}

function parseEntry(text: string | undefined): CacheEntry | undefined {
  if (text === undefined) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof v !== "object" || v === null) return undefined;
  const o = v as Record<string, unknown>;
  if (typeof o["token"] !== "string" || typeof o["issuer"] !== "string" || typeof o["clientId"] !== "string") return undefined;
  return {
    issuer: o["issuer"],
    clientId: o["clientId"],
    scopes: Array.isArray(o["scopes"]) ? o["scopes"].filter((s): s is string => typeof s === "string") : [],
    token: o["token"],
    expiresAt: typeof o["expiresAt"] === "number" ? o["expiresAt"] : undefined,
    refreshToken: typeof o["refreshToken"] === "string" ? o["refreshToken"] : undefined,
  };
}
