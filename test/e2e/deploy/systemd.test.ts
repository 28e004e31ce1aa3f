/**
 * deploy/systemd: `systemd-analyze verify` accepts the unit without a warning,
 * its hardening is in place, and the example config reads its files from
 * the credentials the unit loads.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { parse } from "yaml";
import { Problems } from "../../../src/config/errors.ts";
import { readConfigFile } from "../../../src/config/file.ts";
import { REPO } from "./tools.ts";

const DIR = join(REPO, "deploy", "systemd");
const UNIT = "kubeward-proxy.service";

/** `Key=value` lines of the unit, by key (repeated keys keep every value). */
async function directives(): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const line of (await readFile(join(DIR, UNIT), "utf8")).split("\n")) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (m?.[1] !== undefined) out.set(m[1], [...(out.get(m[1]) ?? []), m[2] ?? ""]);
  }
  return out;
}

test("systemd-analyze verify accepts the unit without a warning", async () => {
  const dir = await mkdtemp(join(tmpdir(), "kubeward-systemd-"));
  try {
    // verify checks that ExecStart's program exists: point it at this Node.
    const text = (await readFile(join(DIR, UNIT), "utf8")).replace("ExecStart=/usr/bin/node ", `ExecStart=${process.execPath} `);
    await writeFile(join(dir, UNIT), text);
    let result: { stdout: string; stderr: string };
    try {
      result = await promisify(execFile)("systemd-analyze", ["verify", join(dir, UNIT)]);
    } catch (e) {
      const err = e as NodeJS.ErrnoException & { stderr?: string };
      if (err.code === "ENOENT") throw new Error("systemd-analyze is missing: apt-get install -y systemd (listed in .ci/apt-packages.txt)");
      throw new Error(`systemd-analyze verify failed: ${err.stderr ?? String(e)}`);
    }
    assert.equal(result.stderr, "");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("systemd-analyze security rates the unit's exposure at most 2.0 of 10", async () => {
  const dir = await mkdtemp(join(tmpdir(), "kubeward-systemd-"));
  try {
    await writeFile(join(dir, UNIT), await readFile(join(DIR, UNIT), "utf8"));
    // --threshold makes it exit non-zero above the level (on a 0-100 scale).
    const r = await promisify(execFile)("systemd-analyze", ["security", "--offline=yes", "--threshold=20", join(dir, UNIT)]).catch((e: { stdout?: string }) => {
      throw new Error(`exposure above 2.0:\n${e.stdout ?? String(e)}`);
    });
    assert.match(r.stdout, /Overall exposure level for kubeward-proxy\.service: [01]\.[0-9] /);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("the unit runs as a dynamic user with no capability and a read-only system", async () => {
  const d = await directives();
  const one = (k: string) => d.get(k)?.join(" ");
  assert.equal(one("DynamicUser"), "yes");
  assert.equal(one("NoNewPrivileges"), "yes");
  assert.equal(one("CapabilityBoundingSet"), "");
  assert.equal(one("ProtectSystem"), "strict");
  assert.equal(one("ProtectHome"), "yes");
  assert.equal(one("PrivateTmp"), "yes");
  assert.equal(one("RestrictAddressFamilies"), "AF_INET AF_INET6 AF_UNIX");
  assert.equal(d.get("SystemCallFilter")?.[0], "@system-service");
  assert.equal(one("StateDirectory"), "kubeward");
});

test("the example config is valid and reads every file from a loaded credential", async () => {
  const problems = new Problems();
  assert.ok(await readConfigFile(join(DIR, "proxy.yaml"), problems), JSON.stringify(problems.list));
  const credentials = new Set(((await directives()).get("LoadCredential") ?? []).map((c) => c.split(":")[0]));
  const config = parse(await readFile(join(DIR, "proxy.yaml"), "utf8")) as Record<string, unknown> & { oidc: { caFile: string } };
  const files = [config.oidc.caFile, config["kubeconfig"], config["tlsCertFile"], config["tlsPrivateKeyFile"]] as string[];
  for (const f of files) {
    assert.ok(f.startsWith("/run/credentials/kubeward-proxy.service/"), f);
    assert.ok(credentials.has(f.split("/").at(-1)), f);
  }
  assert.ok(((await directives()).get("ExecStart")?.[0] ?? "").includes("--config=%d/proxy.yaml"));
  assert.ok(credentials.has("proxy.yaml"));
});
