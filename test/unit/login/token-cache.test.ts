import { test, describe, beforeEach, afterEach } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, stat, writeFile, mkdir, chmod } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TokenCache, cacheFileName, removeFile } from "../../../src/login/token-cache.ts";

const KEY = { issuer: "https://idp.example", clientId: "kubectl", scopes: ["openid", "email", "offline_access"] };
const TOKENS = { token: "id.token.1", expiresAt: 1_700_000_000_000, refreshToken: "refresh-1" };

describe("cache keys", () => {
  test("scopes are a set: order and repeats do not change the file", () => {
    assert.equal(cacheFileName(KEY), cacheFileName({ ...KEY, scopes: ["offline_access", "openid", "email", "email"] }));
  });

  test("issuer, client id and scopes each make a different file", () => {
    const names = new Set([
      cacheFileName(KEY),
      cacheFileName({ ...KEY, issuer: "https://idp.example/" }),
      cacheFileName({ ...KEY, clientId: "kubectl2" }),
      cacheFileName({ ...KEY, scopes: ["openid", "email"] }),
    ]);
    assert.equal(names.size, 4);
  });

  test("the file name is a hash: no URL character reaches the file system", () => {
    assert.match(cacheFileName({ ...KEY, issuer: "https://idp.example/../../etc" }), /^[0-9a-f]{64}\.json$/);
  });
});

describe("TokenCache", () => {
  let dir: string;
  let cache: TokenCache;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "kubeward-cache-"));
    cache = new TokenCache(join(dir, "cache", "kubeward"));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  test("an entry written is read back under the same key, scopes in any order", async () => {
    assert.equal(await cache.read(KEY), undefined);
    await cache.write(KEY, TOKENS);
    const back = await cache.read({ ...KEY, scopes: ["email", "offline_access", "openid"] });
    assert.deepEqual(back, { issuer: KEY.issuer, clientId: KEY.clientId, scopes: ["email", "offline_access", "openid"], ...TOKENS });
  });

  test("the directory is 0700 and the file 0600, even under a loose umask or an existing loose directory", async () => {
    await mkdir(cache.dir, { recursive: true });
    await chmod(cache.dir, 0o755);
    const old = process.umask(0);
    try {
      await cache.write(KEY, TOKENS);
    } finally {
      process.umask(old);
    }
    assert.equal((await stat(cache.dir)).mode & 0o777, 0o700);
    assert.equal((await stat(cache.pathOf(KEY))).mode & 0o777, 0o600);
  });

  test("a rewrite replaces the entry and leaves no temporary file", async () => {
    await cache.write(KEY, TOKENS);
    await cache.write(KEY, { ...TOKENS, token: "id.token.2", refreshToken: undefined });
    assert.deepEqual(await readdir(cache.dir), [cacheFileName(KEY)]);
    const back = await cache.read(KEY);
    assert.equal(back?.token, "id.token.2");
    assert.equal(back?.refreshToken, undefined);
  });

  test("a damaged file reads as no entry", async () => {
    await cache.write(KEY, TOKENS);
    await writeFile(cache.pathOf(KEY), "{not json");
    assert.equal(await cache.read(KEY), undefined);
    await writeFile(cache.pathOf(KEY), JSON.stringify({ issuer: "x" }));
    assert.equal(await cache.read(KEY), undefined);
  });

  test("list gives every entry with its key; removeFile says whether there was one", async () => {
    const other = { ...KEY, clientId: "other" };
    await cache.write(KEY, TOKENS);
    await cache.write(other, { ...TOKENS, token: "t2" });
    await writeFile(join(cache.dir, "unrelated.txt"), "x");
    const listed = await cache.list();
    assert.deepEqual(listed.map((e) => e.entry.clientId).sort(), ["kubectl", "other"]);
    assert.equal(await removeFile(cache.pathOf(KEY)), true);
    assert.equal(await removeFile(cache.pathOf(KEY)), false);
    assert.deepEqual((await cache.list()).map((e) => e.entry.clientId), ["other"]);
    assert.ok(JSON.parse(await readFile(cache.pathOf(other), "utf8")).token === "t2");
  });
});
