import { test } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadServeConfig } from "../../../src/serve/load.ts";
import { prepareServe } from "../../../src/serve/prepare.ts";

test("a default port that is taken moves to a free one, and the next start keeps the moved port", async (t) => {
  const home = await mkdtemp(join(tmpdir(), "serve-prepare-"));
  const busy = createServer().listen(0, "127.0.0.1");
  await once(busy, "listening");
  t.after(async () => {
    busy.close();
    await rm(home, { recursive: true, force: true });
  });
  const taken = (busy.address() as { port: number }).port;
  const loaded = await loadServeConfig([], { HOME: home });
  const config = { ...loaded, issuerListen: { host: "127.0.0.1", port: taken, movable: true } };
  const first = await prepareServe(config, { HOME: home });
  assert.notEqual(first.issuerListen.port, taken);
  assert.equal(first.issuerUrl, `https://127.0.0.1:${first.issuerListen.port}`);
  assert.ok("disabled" in first.proxy, "no kubeconfig in this HOME");
  busy.close();
  await once(busy, "close");
  const second = await prepareServe(config, { HOME: home });
  assert.equal(second.issuerUrl, first.issuerUrl, "the URL people saved still works");
  const fixed = await prepareServe({ ...config, issuerListen: { host: "127.0.0.1", port: taken, movable: false } }, { HOME: home });
  assert.equal(fixed.issuerListen.port, taken, "a port the user chose is never moved");
});
