import { test } from "node:test";
import assert from "node:assert/strict";
import { loadServeConfig } from "../../../src/serve/load.ts";

test("examples/kubeward.yaml is a valid serve config", async () => {
  const config = await loadServeConfig(["--config", "examples/kubeward.yaml"], { HOME: "/home/someone", KUBEWARD_DASHBOARD_SECRET: "s3cret" });
  assert.equal(config.issuerUrl, "https://127.0.0.1:5556");
  assert.deepEqual(config.clients.map((c) => c.id), ["kubeward", "dashboard"]);
  assert.equal(config.clients[1]?.secret, "s3cret");
  assert.equal(config.issuer.keyRotationPeriodMs, 24 * 3_600_000);
  assert.equal(config.initialAdmin?.email, "admin@kubeward.local");
  assert.equal(config.proxy.securePort?.path, "proxy.securePort");
});
