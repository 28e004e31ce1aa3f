/**
 * `kubeward serve` end to end, as a child process: tokens from its embedded
 * issuer pass its own proxy with the right identity; after `kill -9` and a
 * restart on the same state directory the refresh token still refreshes, the
 * keys, CA and certificates are the same, and the admin password is not shown again.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fetchTrusting } from "./issuer-harness.ts";
import { serveWorkspace, writeServeConfig } from "./serve-child.ts";

const READY = /kubeward serve: proxy at (https:\S+)/;
const PASSWORD = /Initial admin password for admin@kubeward\.local[^:]*: (\S+)/;
const b64 = (s: string) => Buffer.from(s).toString("base64");

async function token(fetch: typeof globalThis.fetch, issuerUrl: string, fields: Record<string, string>): Promise<Record<string, string>> {
  const res = await fetch(`${issuerUrl}/token`, {
    method: "POST", body: new URLSearchParams(fields).toString(),
    headers: { "content-type": "application/x-www-form-urlencoded", authorization: `Basic ${b64("cli:cli-secret-value")}` },
  });
  const body = (await res.json()) as Record<string, string>;
  assert.equal(res.status, 200, JSON.stringify(body));
  return body;
}

/** GETs through the proxy until the authenticator has the issuer's keys (401 before), then returns the status. */
async function throughProxy(fetch: typeof globalThis.fetch, proxyUrl: string, idToken: string): Promise<number> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const res = await fetch(`${proxyUrl}/api/v1/namespaces/default/pods`, { headers: { authorization: `Bearer ${idToken}` } });
    await res.arrayBuffer();
    if (res.status !== 401 || Date.now() > deadline) return res.status;
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function kids(fetch: typeof globalThis.fetch, issuerUrl: string): Promise<string[]> {
  const res = await fetch(`${issuerUrl}/jwks`);
  return ((await res.json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid).sort();
}

test("tokens from the embedded issuer pass the proxy; a kill -9 and restart lose no key, certificate or refresh token", { timeout: 120_000 }, async (t) => {
  const { dir, upstream, start } = await serveWorkspace(t, "kubeward-serve-");
  const { config, issuerUrl } = await writeServeConfig(dir, upstream);
  const first = start(["--config", config]);
  const proxyUrl = (await first.waitFor(READY))[1] ?? "";
  const password = (await first.waitFor(PASSWORD))[1] ?? "";
  const state = join(dir, "state");
  const fetch = fetchTrusting(await readFile(join(state, "ca.crt"), "utf8"));

  const tokens = await token(fetch, issuerUrl, { grant_type: "password", username: "admin@kubeward.local", password, scope: "openid email groups offline_access" });
  assert.equal(await throughProxy(fetch, proxyUrl, String(tokens["id_token"])), 200);
  const forwarded = upstream.requests.at(-1);
  assert.deepEqual(forwarded?.values("impersonate-user"), ["admin@kubeward.local"]);
  assert.ok(forwarded?.values("impersonate-group").includes("kubeward-admins"), String(forwarded?.values("impersonate-group")));
  assert.equal(forwarded?.values("authorization").length, 0, "the ID token is not passed upstream");

  const before = { kids: await kids(fetch, issuerUrl), files: await Promise.all(["ca.crt", "issuer.crt", "proxy.crt"].map((f) => readFile(join(state, f), "utf8"))) };
  await first.kill9();

  const second = start(["--config", config]);
  assert.equal((await second.waitFor(READY))[1], proxyUrl);
  assert.doesNotMatch(second.stdout(), /password/i, "the admin password is shown on the first start only");
  assert.deepEqual(await Promise.all(["ca.crt", "issuer.crt", "proxy.crt"].map((f) => readFile(join(state, f), "utf8"))), before.files);
  assert.deepEqual(await kids(fetch, issuerUrl), before.kids);
  assert.equal(await throughProxy(fetch, proxyUrl, String(tokens["id_token"])), 200, "a token issued before the restart still passes");
  const refreshed = await token(fetch, issuerUrl, { grant_type: "refresh_token", refresh_token: String(tokens["refresh_token"]) });
  assert.ok(refreshed["id_token"], "the refresh token refreshes after the restart");
  assert.equal(await throughProxy(fetch, proxyUrl, refreshed["id_token"] ?? ""), 200);
  assert.deepEqual(upstream.requests.at(-1)?.values("impersonate-user"), ["admin@kubeward.local"]);
});
