import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { chmod, mkdir, mkdtemp, readFile, rm, stat, unlink } from "node:fs/promises";
import { X509Certificate } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import bcrypt from "bcryptjs";
import { systemClock } from "../../../src/clock.ts";
import { openStorage } from "../../../src/issuer/storage/registry.ts";
import { ensureInitialAdmin } from "../../../src/serve/admin.ts";
import { ensureCa, ensureServingCert } from "../../../src/serve/pki.ts";
import { ensureStateDir, loadSecretKeys } from "../../../src/serve/state-dir.ts";

let root: string;
before(async () => { root = await mkdtemp(join(tmpdir(), "serve-state-")); });
after(() => rm(root, { recursive: true, force: true }));

const mode = async (p: string) => (await stat(p)).mode & 0o777;

describe("state directory", () => {
  test("is created owner-only, and a looser existing one is tightened", async () => {
    const dir = join(root, "a", "state");
    await ensureStateDir(dir);
    assert.equal(await mode(dir), 0o700);
    const loose = join(root, "loose");
    await mkdir(loose, { mode: 0o755 });
    await chmod(loose, 0o755);
    await ensureStateDir(loose);
    assert.equal(await mode(loose), 0o700);
  });

  test("the secret key is made once (0600) and read back on the next start", async () => {
    const dir = join(root, "secret");
    await ensureStateDir(dir);
    const first = await loadSecretKeys(dir);
    assert.equal(first.length, 1);
    assert.ok((first[0] ?? "").length >= 43, "32 random bytes");
    assert.equal(await mode(join(dir, "secret-keys")), 0o600);
    assert.deepEqual(await loadSecretKeys(dir), first);
  });
});

describe("generated certificates", () => {
  test("are reused on restart, reissued when a host is missing, and all reissued with a new CA", async () => {
    const dir = join(root, "pki");
    await ensureStateDir(dir);
    const { ca, caFile, created } = await ensureCa(dir);
    assert.ok(created);
    assert.equal(await mode(join(dir, "ca.key")), 0o600);
    const leaf = await ensureServingCert(dir, "issuer", ca, ["127.0.0.1", "::1", "localhost"]);
    assert.equal(await mode(leaf.keyFile), 0o600);
    const pem = await readFile(leaf.certFile, "utf8");
    const again = await ensureCa(dir);
    assert.equal(again.created, false);
    await ensureServingCert(dir, "issuer", again.ca, ["127.0.0.1", "::1", "localhost"]);
    assert.equal(await readFile(leaf.certFile, "utf8"), pem, "the same certificate after a restart");
    await ensureServingCert(dir, "issuer", again.ca, ["127.0.0.1", "id.example.com"]);
    assert.ok(new X509Certificate(await readFile(leaf.certFile)).checkHost("id.example.com"), "reissued for the new host");
    await unlink(caFile);
    const fresh = await ensureCa(dir);
    assert.ok(fresh.created);
    await ensureServingCert(dir, "issuer", fresh.ca, ["127.0.0.1"]);
    assert.ok(new X509Certificate(await readFile(leaf.certFile)).checkIssued(new X509Certificate(fresh.ca.certPem)), "signed by the new CA");
  });
});

describe("initial admin", () => {
  test("is created once with a random password shown once and stored only as a bcrypt hash", async () => {
    const storage = await openStorage({ type: "memory", config: {} }, { clock: systemClock });
    const admin = { email: "admin@kubeward.local", username: "admin", groups: ["kubeward-admins"] };
    const shown: string[] = [];
    assert.equal(await ensureInitialAdmin(storage, admin, (p) => shown.push(p)), true);
    assert.equal(await ensureInitialAdmin(storage, admin, (p) => shown.push(p)), false);
    assert.equal(shown.length, 1);
    const stored = await storage.getPassword(admin.email);
    assert.ok(stored && stored.hash !== shown[0]);
    assert.ok(await bcrypt.compare(shown[0] ?? "", stored.hash));
    assert.deepEqual(stored.groups, ["kubeward-admins"]);
    await storage.close();
  });
});
