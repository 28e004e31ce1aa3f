import { test } from "node:test";
import assert from "node:assert/strict";
import { createOpsServers } from "../../../src/health/ops-server.ts";
import { createLogger } from "../../../src/log/logger.ts";
import { Metrics } from "../../../src/metrics/metrics.ts";
import type { ProxyConfig } from "../../../src/config/types.ts";

const base = {
  oidc: [], upstream: { server: "https://127.0.0.1:1", insecureSkipTlsVerify: false }, listen: { host: "127.0.0.1", port: 0 },
  tlsCertFile: "", tlsPrivateKeyFile: "", flushIntervalMs: 0, extraUserHeaders: {}, extraUserHeaderClientIp: false,
  allowReservedIdentities: false, shutdownGracePeriodMs: 1_000, maxHeaderSize: 16_384, logLevel: "info",
} satisfies ProxyConfig;
const logger = createLogger({ level: "silent" });

test("the metrics server answers /metrics, /healthz and /readyz; the probe port answers /ready", async (t) => {
  let ready = false;
  const metrics = new Metrics();
  metrics.ready.set(1);
  const ops = createOpsServers({ ...base, metricsListen: { host: "127.0.0.1", port: 0 }, readinessProbePort: 0 },
    { metrics, ready: () => ready, logger, readinessProbeHost: "127.0.0.1" });
  await ops.listen();
  t.after(() => ops.close());
  const m = `http://127.0.0.1:${ops.addresses().metrics?.port}`;
  const r = `http://127.0.0.1:${ops.addresses().readiness?.port}`;
  const metricsText = await (await fetch(`${m}/metrics`)).text();
  assert.match(metricsText, /^kubeward_ready 1$/m);
  assert.equal(await (await fetch(`${m}/healthz`)).text(), "ok");
  assert.equal((await fetch(`${m}/readyz`)).status, 503);
  assert.equal((await fetch(`${r}/ready`)).status, 503);
  ready = true;
  assert.equal((await fetch(`${r}/ready`)).status, 200);
  assert.equal((await fetch(`${r}/readyz?verbose`)).status, 200);
  assert.equal((await fetch(`${r}/metrics`)).status, 404, "metrics only on the metrics address");
  assert.equal((await fetch(`${m}/healthz`, { method: "POST" })).status, 405);
});

test("absent addresses start nothing", async () => {
  const ops = createOpsServers(base, { metrics: new Metrics(), ready: () => true, logger });
  await ops.listen();
  assert.deepEqual(ops.addresses(), {});
  await ops.close();
});
