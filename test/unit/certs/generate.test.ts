import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { X509Certificate } from "node:crypto";

const run = promisify(execFile);
const script = new URL("../../../certs/generate.ts", import.meta.url).pathname;

test("certs/generate.ts writes a CA and a proxy certificate for the given names, keys 0600", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "kubeward-certs-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const out = join(dir, "out");
  await run(process.execPath, [script, "--out", out, "--hosts", "proxy.example.com,10.0.0.5"]);
  const ca = new X509Certificate(await readFile(join(out, "ca.crt")));
  const proxy = new X509Certificate(await readFile(join(out, "proxy.crt")));
  assert.ok(proxy.checkIssued(ca));
  assert.equal(proxy.subjectAltName, "DNS:proxy.example.com, IP Address:10.0.0.5");
  assert.equal((await stat(join(out, "proxy.key"))).mode & 0o777, 0o600);
});

test("certs/generate.ts refuses to overwrite a CA and names the flag when input is bad", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "kubeward-certs-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await run(process.execPath, [script, "--out", dir, "--hosts", "a.example"]);
  await assert.rejects(run(process.execPath, [script, "--out", dir, "--hosts", "a.example"]), (e: { stderr: string; code: number }) => {
    assert.equal(e.code, 2);
    assert.match(e.stderr, /^certs: --out: .*ca\.key exists; pass --force to replace it$/m);
    return true;
  });
  await assert.rejects(run(process.execPath, [script, "--out", dir, "--force"]), /certs: --hosts: at least one DNS name or IP address is required/);
});
