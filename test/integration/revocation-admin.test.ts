/**
 * The admin API and the CLI over it: mutual TLS or an admin-group token,
 * clear 401/403 JSON errors, one audit line per change, and a revocation
 * made with `kubeward revoke` refusing the user's token at the proxy.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAdminServer, type AdminServer } from "../../src/admin/server.ts";
import { adminRequest } from "../../src/admin/client.ts";
import { run } from "../../src/cli/run.ts";
import { createLogger } from "../../src/log/logger.ts";
import { systemClock } from "../../src/clock.ts";
import { openMemoryStorage } from "../../src/issuer/storage/memory/memory-storage.ts";
import type { Storage } from "../../src/issuer/storage/storage.ts";
import { createCertificateAuthority, issueCertificate, type KeyPair } from "../../src/pki/certificates.ts";
import { get, startRevocationHarness, tableAuthenticator, type RevocationHarness, type TokenEntry } from "./revocation-harness.ts";
import { authAttempts } from "./proxy-harness.ts";
import { adminTokenRevoked } from "../../src/revocation/runtime.ts";

let storage: Storage;
let h: RevocationHarness;
let admin: AdminServer;
let server: string;
let dir: string;
let serverCa: string;
let operator: KeyPair;
let stranger: KeyPair;
const adminTokens = new Map<string, TokenEntry>([
  ["root-token", { user: { username: "root@example.com", groups: ["kubeward-admins"], extra: {} } }],
  ["dev-token", { user: { username: "dev@example.com", groups: ["devs"], extra: {} } }],
  ["ops-token", { user: { username: "ops@example.com", groups: ["kubeward-admins"], extra: {} }, issuedAt: Date.now() - 1_000 }],
]);

before(async () => {
  storage = await openMemoryStorage({}, { clock: systemClock });
  h = await startRevocationHarness({ storage });
  const ca = await createCertificateAuthority("admin-test-ca");
  const serving = await issueCertificate(ca, { commonName: "kubeward-admin", hosts: ["127.0.0.1"], usage: "server" });
  const clientCa = await createCertificateAuthority("operators-ca");
  const otherCa = await createCertificateAuthority("someone-else-ca");
  operator = await issueCertificate(clientCa, { commonName: "oncall", usage: "client" });
  stranger = await issueCertificate(otherCa, { commonName: "oncall", usage: "client" });
  serverCa = ca.certPem;
  admin = createAdminServer({
    listen: { host: "127.0.0.1", port: 0 }, certPem: serving.certPem, keyPem: serving.keyPem, clientCaPem: clientCa.certPem,
    authenticator: tableAuthenticator(adminTokens), adminGroup: "kubeward-admins", revoked: adminTokenRevoked(h.guard, { logger: createLogger({ level: "silent" }), metrics: h.metrics }),
  }, { service: h.service, logger: createLogger({ level: "silent" }) });
  server = `https://127.0.0.1:${(await admin.listen()).port}`;
  dir = await mkdtemp(join(tmpdir(), "kubeward-admin-"));
  await writeFile(join(dir, "ca.crt"), serverCa);
  await writeFile(join(dir, "op.crt"), operator.certPem);
  await writeFile(join(dir, "op.key"), operator.keyPem);
});
after(async () => {
  await admin.close();
  await h.close();
  await storage.close();
  await rm(dir, { recursive: true, force: true });
});

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await run(args, { stdout: (t) => { out += t; }, stderr: (t) => { err += t; }, env: {}, shutdownSignal: () => new Promise(() => {}) });
  return { code, out, err };
}

const CONN = () => ["--server", server, "--certificate-authority", join(dir, "ca.crt"), "--client-certificate", join(dir, "op.crt"), "--client-key", join(dir, "op.key")];

test("no credentials: 401 with a JSON error; a certificate from another CA: 401; a non-admin token: 403", async () => {
  const none = await adminRequest({ server, caPem: serverCa }, "GET", "/v1/revocations");
  assert.equal(none.status, 401);
  assert.deepEqual(none.body, { error: "admin_unauthenticated", message: "the admin API needs a client certificate or an admin token" });
  const wrongCa = await adminRequest({ server, caPem: serverCa, certPem: stranger.certPem, keyPem: stranger.keyPem }, "GET", "/v1/revocations");
  assert.equal(wrongCa.status, 401);
  const dev = await adminRequest({ server, caPem: serverCa, token: "dev-token" }, "POST", "/v1/revocations", { kind: "all" });
  assert.equal(dev.status, 403);
  assert.deepEqual(dev.body, { error: "admin_forbidden", message: "this identity may not use the admin API" });
  assert.equal((await adminRequest({ server, caPem: serverCa, token: "forged" }, "GET", "/v1/revocations")).status, 401);
  assert.equal((await storage.listRevocations()).length, 0, "nothing was created");
});

test("an admin token may revoke; the change is audited with actor, kind, name and reason", async () => {
  const res = await adminRequest({ server, caPem: serverCa, token: "root-token" }, "POST", "/v1/revocations", { kind: "group", name: "interns", reason: "summer over" });
  assert.equal(res.status, 201);
  const audit = h.logs().find((l) => l["audit"] === "revocation" && l["action"] === "revoke");
  assert.deepEqual({ actor: audit?.["actor"], kind: audit?.["kind"], name: audit?.["name"], reason: audit?.["reason"] }, { actor: "root@example.com", kind: "group", name: "interns", reason: "summer over" });
});

test("an admin token counts once among authentication attempts: a success, or once revoked only its refusal", async () => {
  const [ok, revoked] = [await authAttempts(h.metrics, "success", "ok"), await authAttempts(h.metrics, "failure", "token_revoked")];
  assert.equal((await adminRequest({ server, caPem: serverCa, token: "ops-token" }, "GET", "/v1/revocations")).status, 200);
  assert.equal(await authAttempts(h.metrics, "success", "ok"), ok + 1);
  await h.service.revoke({ kind: "user", name: "ops@example.com", reason: "left the team", actor: "test" });
  assert.equal((await adminRequest({ server, caPem: serverCa, token: "ops-token" }, "GET", "/v1/revocations")).status, 401);
  assert.equal(await authAttempts(h.metrics, "failure", "token_revoked"), revoked + 1);
  assert.equal(await authAttempts(h.metrics, "success", "ok"), ok + 1, "the refused attempt is not also a success");
});

test("kubeward revoke user (mutual TLS) refuses the user's token at the proxy at once, and revocations list shows it", async () => {
  h.tokens.set("quinn-1", { user: { username: "quinn", groups: [], extra: {} }, issuedAt: Date.now() - 1_000 });
  assert.equal((await get(h, "/api/v1/pods", "quinn-1")).status, 200);
  const revoked = await cli("revoke", "user", "quinn", "--reason", "phished", ...CONN());
  assert.equal(revoked.err, "");
  assert.equal(revoked.code, 0);
  assert.match(revoked.out, /^revoked user quinn issued before \S+ \(id rev-[0-9a-f]+\)\n$/);
  assert.equal((await get(h, "/api/v1/pods", "quinn-1")).status, 401);
  const listed = await cli("revocations", "list", ...CONN());
  assert.equal(listed.code, 0);
  const lines = listed.out.trimEnd().split("\n");
  assert.match(lines[0] ?? "", /^ID +EFFECT +KIND +NAME +SINCE +UNTIL +BY +REASON$/);
  assert.ok(lines.some((l) => /revoke +user +quinn .* cert:oncall +phished$/.test(l)), listed.out);
  const audit = h.logs().find((l) => l["audit"] === "revocation" && l["name"] === "quinn");
  assert.equal(audit?.["actor"], "cert:oncall");
});

test("kubeward block --for and revocations lift", async () => {
  const blocked = await cli("block", "user", "rae", "--for", "2h", ...CONN());
  assert.equal(blocked.code, 0, blocked.err);
  const id = /\(id (blk-[0-9a-f]+)\)/.exec(blocked.out)?.[1] ?? "";
  assert.match(blocked.out, /^blocked user rae until \S+ \(id blk-/);
  h.tokens.set("rae-1", { user: { username: "rae", groups: [], extra: {} }, issuedAt: Date.now() + 10_000 });
  assert.equal((await get(h, "/api/v1/pods", "rae-1")).status, 401);
  const lifted = await cli("revocations", "lift", id, ...CONN());
  assert.equal(lifted.code, 0, lifted.err);
  assert.equal((await get(h, "/api/v1/pods", "rae-1")).status, 200);
  const again = await cli("revocations", "lift", id, ...CONN());
  assert.equal(again.code, 1);
  assert.equal(again.err, "kubeward revocations: no such revocation or block\n");
});

test("CLI errors are one line naming the flag", async () => {
  assert.deepEqual(await cli("revoke", "user", "x"), { code: 2, out: "", err: "kubeward revoke: --server: required (the admin API's https:// URL)\n" });
  const noCreds = await cli("revoke", "user", "x", "--server", server);
  assert.equal(noCreds.err, "kubeward revoke: --client-certificate/--client-key or --token: the admin API needs credentials\n");
  const badFor = await cli("block", "user", "x", "--for", "soon", ...CONN());
  assert.equal(badFor.err, `kubeward block: --for: must be a positive duration like 90s, 30m, 2h or 7d (got "soon")\n`);
  const untrusted = await cli("revocations", "list", "--server", server, "--token", "root-token");
  assert.equal(untrusted.code, 1);
  assert.match(untrusted.err, /^kubeward revocations: --server: cannot reach .*: the server's certificate is not trusted \(check --certificate-authority\)\n$/);
  const forbidden = await cli("revocations", "list", "--server", server, "--certificate-authority", join(dir, "ca.crt"), "--token", "dev-token");
  assert.equal(forbidden.err, "kubeward revocations: this identity may not use the admin API (the token's user is not in the admin group)\n");
  assert.equal((await cli("revoke", "everyone")).code, 2);
});
