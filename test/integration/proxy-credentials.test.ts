import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startHarness, send } from "./proxy-harness.ts";
import { TOKEN_FILE_REFRESH_MS } from "../../src/proxy/token-source.ts";

test("the proxy presents its own bearer token upstream, for requests, reviews and probes, never the client's", async (t) => {
  const h = await startHarness({ upstreamConfig: { token: "proxy-sa-token" } });
  t.after(() => h.close());
  h.upstream.setReviewer(() => ({ allowed: true }));
  await send(h, "/api/v1/pods", ["Authorization", "Bearer alice-token", "Impersonate-User", "bob"]);
  assert.deepEqual(h.upstream.requests.at(-1)?.values("authorization"), ["Bearer proxy-sa-token"]);
  assert.equal(h.upstream.reviews.length, 1);
});

test("a token file is re-read once it may have rotated (projected service-account tokens)", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "kubeward-sa-"));
  const file = join(dir, "token");
  await writeFile(file, "sa-token-1\n");
  const h = await startHarness({ upstreamConfig: { tokenFile: file } });
  t.after(async () => { await h.close(); await rm(dir, { recursive: true, force: true }); });
  await send(h, "/api/v1/pods", ["Authorization", "Bearer alice-token"]);
  assert.deepEqual(h.upstream.requests.at(-1)?.values("authorization"), ["Bearer sa-token-1"]);
  await writeFile(file, "sa-token-2\n");
  h.clock.set(h.clock.now() + TOKEN_FILE_REFRESH_MS);
  await send(h, "/api/v1/pods", ["Authorization", "Bearer alice-token"]);
  assert.deepEqual(h.upstream.requests.at(-1)?.values("authorization"), ["Bearer sa-token-2"]);
});

test("a server URL with a path prefix is put before every forwarded path", async (t) => {
  const h = await startHarness();
  t.after(() => h.close());
  const prefixed = await startHarness({ upstream: h.upstream, upstreamConfig: { server: `${h.upstream.url}/k8s/clusters/c-1/` } });
  t.after(() => prefixed.close());
  await send(prefixed, "/api/v1/pods?limit=1", ["Authorization", "Bearer alice-token"]);
  assert.equal(h.upstream.requests.at(-1)?.url, "/k8s/clusters/c-1/api/v1/pods?limit=1");
});
