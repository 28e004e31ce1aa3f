import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { ConfigError } from "../../../src/config/errors.ts";
import { loadProxyConfig } from "../../../src/config/load.ts";
import { makeFixture, type Fixture } from "../config/fixtures.ts";

let f: Fixture;
before(async () => { f = await makeFixture(); });
after(() => f.cleanup());

async function load(yaml: string) {
  const file = await f.write("proxy.yaml", yaml);
  return loadProxyConfig([...f.baseFlags, `--config=${file}`], {});
}

test("no revocation section: no revocation config (nothing enforced, no admin listener)", async () => {
  assert.equal((await load("logLevel: info\n")).revocation, undefined);
});

test("the section's defaults: bestEffort, 15 s staleness, 1 s polling, 24 h token age; files relative to the config file", async () => {
  const config = await load("revocation:\n  sqliteFile: state/revocations.db\n");
  assert.deepEqual(config.revocation, {
    sqliteFile: join(f.dir, "state/revocations.db"), lockingMode: "bestEffort", staleAfterMs: 15_000, pollIntervalMs: 1_000, maxTokenAgeMs: 86_400_000,
  });
});

test("an admin listener with mutual TLS and an admin group", async () => {
  const config = await load([
    "revocation:", "  sqliteFile: /var/lib/kubeward/issuer.db", "  lockingMode: failClosed", "  staleAfter: 10s",
    "  admin:", "    bindAddress: 127.0.0.1", "    securePort: 8444", "    tlsCertFile: tls.crt", "    tlsPrivateKeyFile: tls.key",
    "    clientCAFile: ca.crt", "    adminGroup: kubeward-admins", "",
  ].join("\n"));
  assert.equal(config.revocation?.lockingMode, "failClosed");
  assert.equal(config.revocation?.staleAfterMs, 10_000);
  assert.deepEqual(config.revocation?.admin, {
    listen: { host: "127.0.0.1", port: 8444 }, tlsCertFile: f.certFile, tlsPrivateKeyFile: f.keyFile, clientCaFile: f.caFile, adminGroup: "kubeward-admins",
  });
});

test("every problem is named by its path", async () => {
  await assert.rejects(load("revocation:\n  pollInterval: 10s\n  staleAfter: soon\n  admin: { bindAddress: 127.0.0.1, securePort: 8444, tlsCertFile: a, tlsPrivateKeyFile: b }\n"), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    const lines = e.lines().join("\n");
    assert.match(lines, /revocation\.sqliteFile: required/);
    assert.match(lines, /revocation\.pollInterval: must be between 100ms and 5s/);
    assert.match(lines, /revocation\.staleAfter: must be a duration/);
    assert.match(lines, /revocation\.admin: needs clientCAFile \(mutual TLS\) or adminGroup/);
    return true;
  });
  await assert.rejects(load("revocation:\n  sqliteFile: x.db\n  lockingMode: strict\n"), ConfigError);
});
